"""Python peer of bench/trees/bench.ts: LightGBM and scikit-learn on the very same data.

Reads the raw float64 files bench.ts wrote and prints one JSON object with timings and scores.
Usage: python peer.py DATA_PREFIX ROUNDS LEAVES THREADS[,THREADS...] [--forests]
"""
import json
import sys
import time

import numpy as np


def load(prefix, p):
    X = np.fromfile(prefix + ".X.f64", dtype="<f8").reshape(-1, p)
    y = np.fromfile(prefix + ".y.f64", dtype="<f8")
    return X, y


def main():
    prefix, rounds, leaves, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    p = int(sys.argv[5])
    forests = "--forests" in sys.argv
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    Xtr, ytr = load(prefix + ".train", p)
    Xte, yte = load(prefix + ".test", p)
    out = {"lightgbm": lgb.__version__, "boosting": []}
    for t in [int(v) for v in threads.split(",")]:
        params = dict(objective="binary", num_leaves=leaves, max_bin=255, learning_rate=0.1, num_threads=t,
                      verbose=-1, seed=1, force_col_wise=False)
        t0 = time.perf_counter()
        c0 = time.process_time()
        ds = lgb.Dataset(Xtr, ytr, params={"max_bin": 255, "verbose": -1, "num_threads": t})
        bst = lgb.train(params, ds, num_boost_round=rounds)
        t1 = time.perf_counter()
        c1 = time.process_time()
        pred = bst.predict(Xte, num_threads=t)
        c2 = time.process_time()
        t2 = time.perf_counter()
        out["boosting"].append({"threads": t, "train_s": t1 - t0, "train_cpu_s": c1 - c0, "predict_rows_per_s": len(Xte) / (c2 - c1),
                                "predict_wall_rows_per_s": len(Xte) / (t2 - t1), "auc": roc_auc_score(yte, pred)})
    if forests:
        import sklearn
        from sklearn.ensemble import IsolationForest, RandomForestClassifier

        out["sklearn"] = sklearn.__version__
        Xf, yf = load(prefix + ".forest", p)
        nf = int(len(yf) * 0.8)
        t0 = time.perf_counter()
        rf = RandomForestClassifier(n_estimators=100, max_depth=12, max_features="sqrt", class_weight="balanced",
                                    n_jobs=1, random_state=0).fit(Xf[:nf], yf[:nf])
        t1 = time.perf_counter()
        pr = rf.predict_proba(Xf[nf:])[:, 1]
        t2 = time.perf_counter()
        out["random_forest"] = {"fit_s": t1 - t0, "predict_s": t2 - t1, "auc": roc_auc_score(yf[nf:], pr),
                                "accuracy": float(np.mean((pr >= 0.5) == yf[nf:]))}
        Xa, ya = load(prefix + ".anomaly", p)
        t0 = time.perf_counter()
        iso = IsolationForest(n_estimators=100, max_samples=256, random_state=0, n_jobs=1).fit(Xa)
        t1 = time.perf_counter()
        s = iso.score_samples(Xa)
        t2 = time.perf_counter()
        out["isolation_forest"] = {"fit_s": t1 - t0, "score_s": t2 - t1, "auc": roc_auc_score(ya, -s)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
