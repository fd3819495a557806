// scratch (not committed): an emulator seeded with N realistic rules, printing its env for manual runs
import { startEmulator, cliEnv } from "./lib.mjs";
import { realisticRules, realisticWire } from "./realistic.mjs";
const N = Number(process.argv[2] ?? 100000);
const em = await startEmulator();
em.control.seed(realisticRules(N).map((r, i) => realisticWire(r, `SDR_${String(i).padStart(12, "0")}`)));
const env = cliEnv(em.url);
console.log(`export LIVEKIT_URL=${env.LIVEKIT_URL} LIVEKIT_API_KEY=${env.LIVEKIT_API_KEY} LIVEKIT_API_SECRET=${env.LIVEKIT_API_SECRET}`);
