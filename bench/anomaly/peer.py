"""pandas + scikit-learn peer of the anomaly bench: the same feature families, scaler and
isolation forest on the same telemetry (raw float64 columns written by bench.ts). Prints JSON timings."""
import json
import sys
import time

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler

CHANNELS = ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"]


def main() -> None:
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    windows, fft_w, hop, tw = meta["windows"], meta["fftWindow"], meta["fftHop"], meta["transitionWindow"]
    cols = {c: np.fromfile(f"{d}/{c}.f64", dtype=np.float64) for c in ["device_id", "state", *CHANNELS]}
    t0 = time.perf_counter()
    df = pd.DataFrame(cols)
    df["k"] = df.groupby("device_id").cumcount()
    df = df.sort_values(["device_id", "k"], kind="stable")
    g = df.groupby("device_id", sort=False)
    feats = {}
    for c in CHANNELS:
        x = g[c].ffill().fillna(0.0)
        df[c] = x
        gx = df.groupby("device_id", sort=False)[c]
        feats[f"{c}_value"] = x
        feats[f"{c}_delta"] = gx.diff().fillna(0.0)
        kx = x * df["k"]
        df["_kx"] = kx
        for w in windows:
            r = gx.rolling(w, min_periods=1)
            mean = r.mean().reset_index(level=0, drop=True)
            std = r.std(ddof=0).reset_index(level=0, drop=True)
            feats[f"{c}_mean_{w}"] = mean
            feats[f"{c}_std_{w}"] = std
            feats[f"{c}_min_{w}"] = r.min().reset_index(level=0, drop=True)
            feats[f"{c}_max_{w}"] = r.max().reset_index(level=0, drop=True)
            # Least-squares slope from rolling sums of x and k*x.
            sx = r.sum().reset_index(level=0, drop=True)
            skx = df.groupby("device_id", sort=False)["_kx"].rolling(w, min_periods=1).sum().reset_index(level=0, drop=True)
            m = df.groupby("device_id", sort=False)["k"].transform(lambda s: np.minimum(np.arange(len(s)) + 1, w)).astype(float)
            lo = df["k"] + 1 - m
            sjx = skx - lo * sx
            sj = m * (m - 1) / 2
            sjj = (m - 1) * m * (2 * m - 1) / 6
            den = (m * sjj - sj * sj).replace(0, np.nan)
            feats[f"{c}_slope_{w}"] = ((m * sjx - sj * sx) / den).fillna(0.0)
            feats[f"{c}_z_{w}"] = ((x - mean) / std.where(std > 1e-12)).fillna(0.0)
        # FFT over hop-aligned trailing windows, forward-filled between hops.
        energy = np.zeros(len(df))
        peak = np.zeros(len(df))
        share = np.zeros(len(df))
        pos = 0
        for _, s in gx:
            v = s.to_numpy()
            n = len(v)
            if n >= fft_w:
                win = sliding_window_view(v, fft_w)[::hop]
                p = np.abs(np.fft.rfft(win, axis=1)) ** 2
                p[:, 1:-1] *= 2
                tot = p[:, 1:].sum(axis=1)
                pk = p[:, 1:].argmax(axis=1) + 1
                e = tot / fft_w**2
                sh = np.where(tot > 0, p[:, 1:].max(axis=1) / np.where(tot > 0, tot, 1), 0)
                ends = np.arange(fft_w - 1, n, hop)
                idx = np.searchsorted(ends, np.arange(n), side="right") - 1
                ok = idx >= 0
                energy[pos : pos + n][ok] = e[idx[ok]]
                peak[pos : pos + n][ok] = pk[idx[ok]]
                share[pos : pos + n][ok] = sh[idx[ok]]
            pos += n
        feats[f"{c}_fft_energy_{fft_w}"] = pd.Series(energy, index=df.index)
        feats[f"{c}_fft_peak_bin_{fft_w}"] = pd.Series(peak, index=df.index)
        feats[f"{c}_fft_peak_share_{fft_w}"] = pd.Series(share, index=df.index)
        miss = pd.Series(cols[c][df.index.to_numpy()], index=df.index).isna()
        block = (~miss).groupby(df["device_id"]).cumsum()
        feats[f"{c}_missing_streak"] = miss.groupby([df["device_id"], block]).cumsum().astype(float)
        same = gx.diff().eq(0)
        block2 = (~same).groupby(df["device_id"]).cumsum()
        feats[f"{c}_stuck_streak"] = same.groupby([df["device_id"], block2]).cumsum().astype(float)
    changed = g["state"].diff().fillna(0).ne(0).astype(float)
    feats["state_transitions"] = changed.groupby(df["device_id"]).rolling(tw, min_periods=1).sum().reset_index(level=0, drop=True)
    block3 = changed.groupby(df["device_id"]).cumsum()
    feats["time_since_state_change"] = df.groupby([df["device_id"], block3]).cumcount().astype(float)
    X = pd.DataFrame(feats).to_numpy()
    t1 = time.perf_counter()
    k = df["k"].to_numpy()
    split = int((k.max() + 1) * 0.5)
    train = (k < split) & (df["state"].to_numpy() == 0)
    scored = (k >= split) & (df["state"].to_numpy() == 0)
    scaler = StandardScaler().fit(X[train])
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(scaler.transform(X[train]))
    t2 = time.perf_counter()
    scores = -forest.score_samples(scaler.transform(X[scored]))
    t3 = time.perf_counter()
    print(json.dumps({"rows": len(df), "features": X.shape[1], "train": int(train.sum()), "scored": int(scored.sum()),
                      "features_s": t1 - t0, "fit_s": t2 - t1, "score_s": t3 - t2, "mean_score": float(scores.mean())}))


if __name__ == "__main__":
    main()
