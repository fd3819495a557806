// I/O (node:crypto randomness). Rule IDs as the server makes them: "SDR_" + 12 characters of
// shortuuid's 57-letter alphabet (livekit/protocol utils/guid, livekit-sip-api.md §3.1).
import { randomBytes } from "node:crypto";

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
export const RULE_ID_PREFIX = "SDR_";
const SIZE = 12;

/** guid.New: 6 random bits per draw, draws >= 57 rejected. */
export function newRuleId(random: (n: number) => Uint8Array = randomBytes): string {
  return newId(RULE_ID_PREFIX, random);
}

/** Inbound and outbound trunks share the prefix (livekit-sip-api.md §11.1). */
export const TRUNK_ID_PREFIX = "ST_";

export function newTrunkId(random: (n: number) => Uint8Array = randomBytes): string {
  return newId(TRUNK_ID_PREFIX, random);
}

function newId(prefix: string, random: (n: number) => Uint8Array): string {
  let out = prefix;
  while (out.length < prefix.length + SIZE) {
    for (const b of random(SIZE * 2)) {
      const v = b & 0x3f;
      if (v < ALPHABET.length) out += ALPHABET[v];
      if (out.length === prefix.length + SIZE) break;
    }
  }
  return out;
}
