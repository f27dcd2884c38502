import { describe, expect, it } from "vitest";
import { expandRange, expandSweep, parseSweep } from "../../lib/config/sweep.js";

describe("sweeps", () => {
  it("expands ranges like Python's range, without float drift", () => {
    expect(expandRange("range(0, 5)", "k")).toEqual(["0", "1", "2", "3", "4"]);
    expect(expandRange("range(4)", "k")).toEqual(["0", "1", "2", "3"]);
    expect(expandRange("range(10, 0, -3)", "k")).toEqual(["10", "7", "4", "1"]);
    expect(expandRange("range(0.1, 0.4, 0.1)", "k")).toEqual(["0.1", "0.2", "0.3"]);
    expect(() => expandRange("range(1, 2, 0)", "k")).toThrow(/step must not be 0/);
    expect(() => expandRange("range(a)", "k")).toThrow(/1 to 3 numbers/);
  });

  it("separates fixed overrides from swept axes, leaving lists alone", () => {
    expect(parseSweep(["a=1", "b=x,y", "c=[1,2]", "d=range(2)"])).toEqual({
      fixed: ["a=1", "c=[1,2]"],
      axes: [
        { key: "b", values: ["x", "y"] },
        { key: "d", values: ["0", "1"] },
      ],
    });
  });

  it("makes the cartesian product times the seeds, in a stable order", () => {
    const points = expandSweep(["a=1", "b=x,y", "c=range(2)"], 2);
    expect(points).toHaveLength(8);
    expect(points[0]).toEqual({ overrides: ["a=1", "b=x", "c=0"], choices: { b: "x", c: "0" }, replicate: 0 });
    expect(points[1].replicate).toBe(1);
    expect(points.map((p) => `${p.choices.b}${p.choices.c}`)).toEqual(["x0", "x0", "x1", "x1", "y0", "y0", "y1", "y1"]);
    expect(() => expandSweep(["b=x,y", "b=1,2"])).toThrow(/swept twice/);
    expect(() => expandSweep([], 0)).toThrow(/--seeds/);
  });
});
