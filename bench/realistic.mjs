// Bench data (pure): N realistic rules, as people write them for a large project (issue 19): a
// leading `---`, shared settings under an anchor merged into every rule with `<<: *defaults`, JSON
// metadata in a `|-` block scalar, an agent greeting in a folded `>` block scalar; each rule with
// a roomConfig agent, attributes, metadata and its own number; 60 % individual, 20 % direct with a
// pin, 20 % callee. About 390 bytes a rule (100,000 rules: about 39 MB). `tag` changes one room.
export function realisticRule(i, tag = "") {
  const r = i % 10;
  const kind = r < 6 ? "individual" : r < 8 ? "direct" : "callee";
  const t = tag === "" ? "" : `-${tag}`;
  const id = String(i).padStart(6, "0");
  return {
    name: `line-${id}`,
    kind,
    room: kind === "direct" ? `room-${id}${t}` : `${kind === "callee" ? "hunt" : "call"}-${id}${t}-`,
    pin: kind === "direct" ? String(100000 + ((i * 7919) % 900000)) : undefined,
    trunk: `ST_trunk${i % 50}`,
    number: `+1555${String(i).padStart(7, "0")}`,
    agent: `agent-${i % 20}`,
    team: `team-${i % 40}`,
    metadata: `{"customer":"c${id}","tier":"${i % 3 === 0 ? "gold" : "silver"}"}`,
    greeting: `Hello from line ${i}.`,
  };
}

export function realisticRules(n, tagOf = () => "") {
  return Array.from({ length: n }, (_, i) => realisticRule(i, tagOf(i)));
}

/** The rules file. */
export function realisticYaml(rules) {
  const out = [
    "---",
    "# yaml-language-server: $schema=../schemas/dispatch-rules.schema.json",
    "version: 1",
    'manage: ["*"]',
    "limits: { maxDeletes: 1000000, maxDeletePercent: 100 }",
    "",
    "# Shared settings, merged into every rule.",
    "x-defaults: &defaults",
    "  hidePhoneNumber: false",
    "  krispEnabled: true",
    "",
    "rules:",
  ];
  for (const r of rules) {
    out.push(`  - name: ${r.name}`, "    <<: *defaults");
    if (r.kind === "direct") out.push("    direct:", `      roomName: ${r.room}`, `      pin: "${r.pin}"`);
    else if (r.kind === "individual") out.push("    individual:", `      roomPrefix: ${r.room}`);
    else out.push("    callee:", `      roomPrefix: ${r.room}`, "      randomize: true");
    out.push(
      `    trunkIds: [${r.trunk}]`,
      `    numbers: ["${r.number}"]`,
      "    metadata: |-",
      `      ${r.metadata}`,
      "    attributes:",
      `      team: ${r.team}`,
      "    roomConfig:",
      "      agents:",
      `        - agentName: ${r.agent}`,
      "          metadata: >",
      `            ${r.greeting}`,
      "            Please hold.",
    );
  }
  return `${out.join("\n")}\n`;
}

/**
 * The inbound trunks the realistic rules name (`ST_trunk0` ... `ST_trunk49`), for the emulator's
 * seedTrunks: a server that lacks them gets a warning per rule from `plan`, which a real project
 * does not see.
 */
export function realisticTrunks() {
  return inboundTrunks(50);
}

/** Inbound trunks `ST_trunk0` ... `ST_trunk{n-1}` (named `trunk-0` ...), for the emulator's seedTrunks. */
export function inboundTrunks(n) {
  return Array.from({ length: n }, (_, i) => ({ sip_trunk_id: `ST_trunk${i}`, name: `trunk-${i}` }));
}

/** The same rule as the server holds it (camelCase SIPDispatchRuleInfo JSON, for the emulator's seed). */
export function realisticWire(r, id) {
  const rule =
    r.kind === "direct"
      ? { dispatchRuleDirect: { roomName: r.room, pin: r.pin } }
      : r.kind === "individual"
        ? { dispatchRuleIndividual: { roomPrefix: r.room } }
        : { dispatchRuleCallee: { roomPrefix: r.room, randomize: true } };
  return {
    ...(id === undefined ? {} : { sipDispatchRuleId: id }),
    name: r.name,
    rule,
    trunkIds: [r.trunk],
    numbers: [r.number],
    hidePhoneNumber: false,
    krispEnabled: true,
    metadata: r.metadata,
    attributes: { team: r.team },
    roomConfig: { agents: [{ agentName: r.agent, metadata: `${r.greeting} Please hold.\n` }] },
  };
}
