// Test support (I/O: an HTTP server on 127.0.0.1:0). Starts the built-in emulator in-process;
// stopped by the caller or, inside a test, automatically when that test finishes.
import { onTestFinished } from "vitest";
import { listenEmulator, type EmulatorControl, type EmulatorOptions } from "../../src/emulator/index.js";

export interface StartedEmulator {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly control: EmulatorControl;
  stop(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<StartedEmulator> {
  const apiKey = opts.apiKey ?? "devkey";
  const apiSecret = opts.apiSecret ?? "secret";
  const em = await listenEmulator({ ...opts, apiKey, apiSecret, host: "127.0.0.1", port: 0 });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= em.close());
  try {
    onTestFinished(stop);
  } catch {
    // Called outside a running test (beforeAll): the caller stops it.
  }
  return { url: em.url, apiKey, apiSecret, control: em.control, stop };
}
