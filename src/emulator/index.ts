// I/O (HTTP server, timers). The emulator's public surface: an in-memory LiveKit SIP
// dispatch-rule API (SPEC §7, livekit-sip-api.md) with a synchronous control API for tests.
// Imports only src/model and node: modules, never the client's wire mapping (src/livekit).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError, type SipMethod } from "../model/index.js";
import { DecodeError, decodeMessage, decodeMessageNewer } from "./decode.js";
import { messageDesc } from "./descriptors.js";
import type { EmulatorFault } from "./faults.js";
import { FaultPlan } from "./faults.js";
import { newRuleId, newTrunkId } from "./ids.js";
import { JsonSyntaxError, parseFirstJsonValue } from "./json-parse.js";
import type { RuleInfo } from "./rule-info.js";
import { withInfo } from "./rule-info.js";
import { createHandler, DEFAULT_MAX_BODY_BYTES, type RequestRecord } from "./server.js";
import { DEFAULT_FEATURES, type EmulatorFeatures } from "./service.js";
import { RuleStore } from "./store.js";
import { TrunkStore, decodeTrunkInfo, type TrunkInfo } from "./trunks.js";

export type { EmulatorFault } from "./faults.js";
export type { RequestRecord } from "./server.js";
export type { EmulatorFeatures } from "./service.js";
export { SIP_METHODS } from "./server.js";
export { readStateFile, readStateFileTrunks, writeStateFileAtomic, renderStateFile, STATE_FORMAT_VERSION } from "./state-file.js";

export interface EmulatorControl {
  /** Stores SIPDispatchRuleInfo JSON (snake or camel) as decoded; keeps IDs (makes one when missing); no conflict check. */
  seed(items: readonly unknown[]): void;
  /** The rules as List emits them, sorted by ID (fresh copies). */
  rules(): unknown[];
  /** Stores SIPInboundTrunkInfo JSON (snake or camel) as decoded; keeps IDs (makes an ST_ one when missing). */
  seedTrunks(items: readonly unknown[]): void;
  /** The inbound trunks as ListSIPInboundTrunk emits them, sorted by ID (fresh copies). */
  trunks(): unknown[];
  /** The next `count` calls of `method` are answered with `fault` and not performed. */
  failNext(method: SipMethod, count: number, fault: EmulatorFault): void;
  /** The next `count` calls of `method` are performed, then answered with `fault` (an ambiguous failure). */
  failNextAfterCommit(method: SipMethod, count: number, fault: EmulatorFault): void;
  /** The next `count` calls of `method` get their socket destroyed without an answer (not performed). */
  dropNext(method: SipMethod, count: number): void;
  /** Delay before answering, for one method or (no method) as the default; 0 removes it. */
  setLatency(ms: number, method?: string): void;
  setFeatures(features: Partial<EmulatorFeatures>): void;
  features(): EmulatorFeatures;
  requests(): readonly RequestRecord[];
  clearRequests(): void;
  /** Empty store, no faults or latency, default features, empty request log. */
  reset(): void;
}

export interface EmulatorOptions {
  readonly apiKey?: string;
  readonly apiSecret?: string;
  /** Clock for token checks, ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Random bytes for rule IDs (default node:crypto randomBytes). */
  readonly random?: (n: number) => Uint8Array;
  /** Rules to start with, as for control.seed. */
  readonly initialRules?: readonly unknown[];
  /** Inbound trunks to start with, as for control.seedTrunks. */
  readonly initialTrunks?: readonly unknown[];
  readonly features?: Partial<EmulatorFeatures>;
  readonly maxBodyBytes?: number;
  /** Called after every change of the stored rules (a write, seed or reset). */
  readonly onChange?: (control: EmulatorControl) => void;
  /** Called after every answered or dropped request; must not log secrets (headers hold the token). */
  readonly onRequest?: (record: RequestRecord) => void;
}

export interface Emulator {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly control: EmulatorControl;
}

export const DEFAULT_API_KEY = "devkey";
export const DEFAULT_API_SECRET = "secret";

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const store = new RuleStore();
  const trunks = new TrunkStore();
  const newTrunk = () => newTrunkId(options.random);
  const faults = new FaultPlan();
  let features: EmulatorFeatures = { ...DEFAULT_FEATURES, ...options.features };
  let log: RequestRecord[] = [];
  const newId = () => newRuleId(options.random);

  const control: EmulatorControl = {
    seed(items) {
      for (const [i, item] of items.entries()) {
        let info: RuleInfo;
        try {
          const decode = features.newerServer ? decodeMessageNewer : decodeMessage;
          info = decode(parseFirstJsonValue(JSON.stringify(item) ?? ""), messageDesc("SIPDispatchRuleInfo")) as unknown as RuleInfo;
        } catch (err) {
          if (err instanceof DecodeError || err instanceof JsonSyntaxError) {
            throw new AppError("emulator-seed", `seed item ${i} is not a SIPDispatchRuleInfo: ${err.message}`, {
              hint: "pass SIPDispatchRuleInfo JSON objects (snake_case or camelCase keys)",
            });
          }
          throw err;
        }
        let id = info.sip_dispatch_rule_id;
        while (id === "" || (info.sip_dispatch_rule_id === "" && store.has(id))) id = newId();
        store.put(withInfo(info, { sip_dispatch_rule_id: id }));
      }
      options.onChange?.(control);
    },
    rules: () => [...store.sorted()].map((r) => JSON.parse(JSON.stringify(r)) as unknown),
    seedTrunks(items) {
      for (const [i, item] of items.entries()) {
        let info: TrunkInfo;
        try {
          info = decodeTrunkInfo(item);
        } catch (err) {
          if (err instanceof DecodeError || err instanceof JsonSyntaxError) {
            throw new AppError("emulator-seed", `trunk ${i} is not a SIPInboundTrunkInfo: ${err.message}`, {
              hint: "pass SIPInboundTrunkInfo JSON objects (snake_case or camelCase keys)",
            });
          }
          throw err;
        }
        let id = info.sip_trunk_id;
        while (id === "" || (info.sip_trunk_id === "" && trunks.has(id))) id = newTrunk();
        trunks.put({ ...info, sip_trunk_id: id });
      }
      options.onChange?.(control);
    },
    trunks: () => trunks.sorted().map((t) => JSON.parse(JSON.stringify(t)) as unknown),
    failNext: (method, count, fault) => faults.failNext(method, count, fault, "before"),
    failNextAfterCommit: (method, count, fault) => faults.failNext(method, count, fault, "after-commit"),
    dropNext: (method, count) => faults.dropNext(method, count),
    setLatency: (ms, method) => faults.setLatency(ms, method),
    setFeatures(f) {
      features = { ...features, ...f, ...("pageSize" in f ? { pageSize: f.pageSize } : {}) };
    },
    features: () => features,
    requests: () => [...log],
    clearRequests() {
      log = [];
    },
    reset() {
      store.clear();
      trunks.clear();
      faults.clear();
      features = { ...DEFAULT_FEATURES };
      log = [];
      options.onChange?.(control);
    },
  };

  if (options.initialRules !== undefined && options.initialRules.length > 0) control.seed(options.initialRules);
  if (options.initialTrunks !== undefined && options.initialTrunks.length > 0) control.seedTrunks(options.initialTrunks);

  const handler = createHandler({
    auth: {
      apiKey: options.apiKey ?? DEFAULT_API_KEY,
      apiSecret: options.apiSecret ?? DEFAULT_API_SECRET,
      now: options.now ?? Date.now,
    },
    call: () => ({ store, features, newId, trunks, newTrunkId: newTrunk }),
    faults,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    record: (r) => {
      log.push(r);
      options.onRequest?.(r);
    },
    onChange: () => options.onChange?.(control),
  });
  return { handler, control };
}

export interface ListeningEmulator {
  /** e.g. "http://127.0.0.1:40123" */
  readonly url: string;
  readonly port: number;
  readonly control: EmulatorControl;
  close(): Promise<void>;
}

/** Starts the emulator on host:port (port 0 = a free port). */
export async function listenEmulator(options: EmulatorOptions & { readonly host: string; readonly port: number }): Promise<ListeningEmulator> {
  const { handler, control } = createEmulator(options);
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        control,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
