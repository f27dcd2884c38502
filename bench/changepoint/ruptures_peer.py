"""Peer for bench/changepoint/bench.ts: ruptures' Pelt on the series the TS side wrote.

Usage: python ruptures_peer.py INPUT.json
INPUT holds a list of {name, cost: "l2"|"poisson", x, exposure?, penalty, minSize}. Prints one JSON
list with the breakpoints (without the final n) and the wall and CPU time of fit + predict per case.
ruptures runs with jump=1 so both sides search the same change points.
"""
import json
import sys
import time

import numpy as np
import ruptures as rpt
from ruptures.base import BaseCost


class CostPoissonExposure(BaseCost):
    model = "poisson_exposure"
    min_size = 1

    def fit(self, signal):
        self.signal = signal
        self.cs = np.concatenate([[0.0], np.cumsum(signal[:, 0])])
        self.ce = np.concatenate([[0.0], np.cumsum(signal[:, 1])])
        return self

    def error(self, start, end):
        s = self.cs[end] - self.cs[start]
        if s <= 0:
            return 0.0
        e = self.ce[end] - self.ce[start]
        return float(2.0 * (s - s * np.log(s / e)))


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        x = np.asarray(c["x"], dtype=float)
        t0 = time.perf_counter()
        c0 = time.process_time()
        if c["cost"] == "l2":
            algo = rpt.Pelt(model="l2", min_size=c["minSize"], jump=1).fit(x)
        else:
            sig = np.column_stack([x, np.asarray(c["exposure"], dtype=float)])
            algo = rpt.Pelt(custom_cost=CostPoissonExposure(), min_size=c["minSize"], jump=1).fit(sig)
        bkps = algo.predict(pen=c["penalty"])
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        out.append({"name": c["name"], "changepoints": bkps[:-1], "seconds": elapsed, "cpu": cpu})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
