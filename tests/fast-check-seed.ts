/**
 * Property tests run on a fixed seed, so a CI run is reproducible and a failure can be replayed:
 * FC_SEED=<n> picks another seed, FC_SEED=random a fresh one per run (to explore, never in CI).
 */
import fc from "fast-check";

const chosen = process.env.FC_SEED;
if (chosen !== "random") fc.configureGlobal({ seed: chosen === undefined ? 20_261_121 : Number(chosen) });
