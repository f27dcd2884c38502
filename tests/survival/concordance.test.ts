import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { concordanceCounts, concordanceIndex } from "../../lib/survival/concordance.js";
import { DataError } from "../../lib/errors.js";
import { loadFixture } from "./helpers.js";

const synthetic = loadFixture<{ durations: number[]; events: number[]; concordanceScores: number[]; concordance: number }>("synthetic");

/** The O(n^2) definition, written from lifelines' _naive_concordance_summary_statistics rules. */
function naive(times: number[], scores: number[], events: number[]): { concordant: number; tied: number; pairs: number } {
  let concordant = 0;
  let tied = 0;
  let pairs = 0;
  for (let a = 0; a < times.length; a++) {
    for (let b = a + 1; b < times.length; b++) {
      const [ta, tb, ea, eb] = [times[a], times[b], events[a], events[b]];
      let valid: boolean;
      if (ta === tb) valid = ea !== eb;
      else valid = (ea === 1 && eb === 1) || (ea === 1 && ta < tb) || (eb === 1 && tb < ta);
      if (!valid) continue;
      pairs++;
      if (scores[a] === scores[b]) tied++;
      else if (scores[a] < scores[b]) concordant += ta < tb || (ta === tb && ea === 1 && eb === 0) ? 1 : 0;
      else concordant += ta > tb || (ta === tb && ea === 0 && eb === 1) ? 1 : 0;
    }
  }
  return { concordant, tied, pairs };
}

describe("concordance index", () => {
  it("matches lifelines.utils.concordance_index on tied times and tied scores", () => {
    expect(concordanceIndex(synthetic.durations, synthetic.concordanceScores, synthetic.events)).toBe(synthetic.concordance);
  });

  it("equals the O(n^2) pair-by-pair definition on random data with ties", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 40 }),
        (rows) => {
          const times = rows.map((r) => r[0]);
          const scores = rows.map((r) => r[1] / 2);
          const events = rows.map((r) => (r[2] ? 1 : 0));
          expect(concordanceCounts(times, scores, events)).toEqual(naive(times, scores, events));
        },
      ),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it("is 1 for a perfect ranking and 0 for a reversed one", () => {
    const t = [1, 2, 3, 4, 5];
    expect(concordanceIndex(t, [10, 20, 30, 40, 50])).toBe(1);
    expect(concordanceIndex(t, [50, 40, 30, 20, 10])).toBe(0);
  });

  it("rejects NaN scores and data with no comparable pairs", () => {
    expect(() => concordanceIndex([1, 2], [NaN, 1])).toThrow(/NaN at row 0/);
    expect(() => concordanceIndex([1, 2], [0, 1], [0, 0])).toThrow(DataError);
  });
});
