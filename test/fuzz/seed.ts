// The fuzz suite's seed: fixed, so a run is reproducible, and printed, so a failure is. Set
// GINKO_FUZZ_SEED to explore other inputs or to rerun a failure from another seed.
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.GINKO_FUZZ_SEED ?? 20261121);

/** fast-check options for `runs` cases from the suite's seed; a failure reports the seed and path. */
export function fuzzRuns(runs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: runs, endOnFailure: true };
}

/** One line per fuzz file in the test output, naming the seed. */
export function announceSeed(file: string): void {
  console.log(`${file}: fuzz seed ${FUZZ_SEED} (rerun with GINKO_FUZZ_SEED=${FUZZ_SEED})`);
}
