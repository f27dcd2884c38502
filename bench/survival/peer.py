"""lifelines side of bench/survival/bench.ts: fit the same CSV data and report wall times as JSON.

Usage: python peer.py DATA.csv REPEATS
The CSV has columns week, arrest, fin, age, race, wexp, mar, paro, prio, group.
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
import lifelines
from lifelines import CoxPHFitter, KaplanMeierFitter, WeibullFitter
from lifelines.statistics import logrank_test

warnings.simplefilter("ignore")


def timed(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    path, repeats = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    load = time.perf_counter() - t0
    covs = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    T, E = df["week"].values, df["arrest"].values
    g = df["group"].values == 1
    def cox_fit():
        model = CoxPHFitter().fit(df[["week", "arrest"] + covs], "week", "arrest")
        # Ours computes the concordance index during the fit; lifelines does it lazily on first access.
        model.concordance_index_
        return model

    cox_t, cox = timed(cox_fit, repeats)
    km_t, km = timed(lambda: KaplanMeierFitter().fit(T, E), repeats)
    wb_t, wb = timed(lambda: WeibullFitter().fit(T, E), repeats)
    lr_t, lr = timed(lambda: logrank_test(T[g], T[~g], E[g], E[~g]), repeats)
    print(json.dumps({
        "lifelines": lifelines.__version__,
        "loadSeconds": load,
        "cox": {"seconds": cox_t, "params": cox.params_.values.tolist(), "logLikelihood": cox.log_likelihood_},
        "km": {"seconds": km_t, "median": str(km.median_survival_time_)},
        "weibull": {"seconds": wb_t, "params": wb.params_.values.tolist()},
        "logrank": {"seconds": lr_t, "statistic": float(lr.test_statistic)},
    }))


if __name__ == "__main__":
    main()
