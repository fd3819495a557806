// Every property test runs from one fixed seed, so CI is repeatable and a failure reproduces.
// FC_SEED=<n> explores another part of the input space (a failure prints its seed and path).
import fc from "fast-check";

const seed = Number.parseInt(process.env.FC_SEED ?? "", 10);
fc.configureGlobal({ seed: Number.isFinite(seed) ? seed : 20261206 });
