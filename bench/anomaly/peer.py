"""pandas + scikit-learn peer of the anomaly bench: the same 102 features (same order), scaler and
isolation forest on the same telemetry blocks (raw float64 columns written by bench.ts), block by
block exactly as bench.ts does: features per block, fit on block 0's first-half RUN rows, scale +
score every block's second-half RUN rows. Prints JSON timings (summed over blocks) and block 0's
feature column sums."""
import json
import sys
import time

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler

CHANNELS = ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"]


def season_resid(x: pd.Series, dev: pd.Series, k: pd.Series, period: int, bins: int) -> pd.Series:
    """Causal classical decomposition (lib/features/industrial.ts): x - mean of the previous `period`
    samples - mean deviation of the same phase bin in earlier completed periods (full-level samples only)."""
    gx = x.groupby(dev, sort=False)
    prev = gx.shift(1)
    level = prev.groupby(dev, sort=False).rolling(period, min_periods=1).mean().reset_index(level=0, drop=True)
    level = level.fillna(x)  # the first sample of a device: no earlier samples, residual 0
    d = x - level
    valid = k >= period
    cyc = (k // period).to_numpy()
    b = ((k % period) * bins // period).to_numpy()
    g = pd.DataFrame({"dev": dev.to_numpy(), "b": b, "c": cyc, "s": d.where(valid, 0.0).to_numpy(), "n": valid.astype(float).to_numpy()})
    per = g.groupby(["dev", "b", "c"], sort=True)[["s", "n"]].sum()
    # Exclusive cumulative sums over completed periods of the same device and bin.
    cum = per.groupby(level=[0, 1]).cumsum() - per
    idx = pd.MultiIndex.from_arrays([g["dev"], g["b"], g["c"]])
    s = cum["s"].reindex(idx).to_numpy()
    n = cum["n"].reindex(idx).to_numpy()
    out = d.to_numpy() - np.where(n > 0, s / np.where(n > 0, n, 1), 0.0)
    return pd.Series(out, index=x.index)


def features(cols: dict, meta: dict) -> np.ndarray:
    windows, fft_w, hop, tw = meta["windows"], meta["fftWindow"], meta["fftHop"], meta["transitionWindow"]
    df = pd.DataFrame(cols)
    df["k"] = df.groupby("device_id").cumcount()
    df = df.sort_values(["device_id", "k"], kind="stable")
    g = df.groupby("device_id", sort=False)
    feats = {}
    for c in CHANNELS:
        x = g[c].ffill()
        x = x.fillna(x.groupby(df["device_id"]).transform("first")).fillna(0.0)  # before the first reading: the first one seen
        df[c] = x
        gx = df.groupby("device_id", sort=False)[c]
        feats[f"{c}_value"] = x
        feats[f"{c}_delta"] = gx.diff().fillna(0.0)
        feats[f"{c}_season_resid"] = season_resid(x, df["device_id"], df["k"], meta["seasonalPeriod"], meta["seasonalBins"])
        df["_kx"] = x * df["k"]
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
            m = np.minimum(df["k"] + 1, w).astype(float)
            lo = df["k"] + 1 - m
            sjx = skx - lo * sx
            sj = m * (m - 1) / 2
            sjj = (m - 1) * m * (2 * m - 1) / 6
            den = (m * sjj - sj * sj).replace(0, np.nan)
            feats[f"{c}_slope_{w}"] = ((m * sjx - sj * sx) / den).fillna(0.0)
            feats[f"{c}_z_{w}"] = ((x - mean) / std.where(std > 1e-12)).fillna(0.0)
        # FFT over hop-aligned trailing windows, carried forward between hops.
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
                # A window without power (constant signal) has no dominant bin: 0, as in lib/features/industrial.ts.
                pk = np.where(tot > 0, p[:, 1:].argmax(axis=1) + 1, 0)
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
        raw = pd.Series(cols[c][df.index.to_numpy()], index=df.index)
        miss = raw.isna()
        block = (~miss).groupby(df["device_id"]).cumsum()
        feats[f"{c}_missing_streak"] = miss.groupby([df["device_id"], block]).cumsum().astype(float)
        # Stuck: a reading equal to the last reading (missing samples neither extend nor reset the streak).
        rd = raw.dropna()
        same = rd.groupby(df["device_id"].loc[rd.index]).diff().eq(0)
        blk = (~same).groupby(df["device_id"].loc[rd.index]).cumsum()
        st = same.groupby([df["device_id"].loc[rd.index], blk]).cumsum().astype(float)
        feats[f"{c}_stuck_streak"] = st.reindex(df.index).groupby(df["device_id"]).ffill().fillna(0.0)
    changed = g["state"].diff().fillna(0).ne(0).astype(float)
    feats["state_transitions"] = changed.groupby(df["device_id"]).rolling(tw, min_periods=1).sum().reset_index(level=0, drop=True)
    block3 = changed.groupby(df["device_id"]).cumsum()
    # Counted from 0 at each change; before the first change the count starts at 1 (as in lib/features/industrial.ts).
    feats["time_since_state_change"] = (df.groupby([df["device_id"], block3]).cumcount() + (block3 == 0)).astype(float)
    X = pd.DataFrame(feats).to_numpy()
    return X, df["k"].to_numpy(), df["state"].to_numpy()


def main() -> None:
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    split = int(meta["samples"] * 0.5)
    t_feat = t_fit = t_score = 0.0
    rows = n_train = n_scored = 0
    score_sum = 0.0
    colsums = []
    scaler = forest = None
    nfeat = 0
    for b in range(meta["blocks"]):
        cols = {c: np.fromfile(f"{d}/b{b}_{c}.f64", dtype=np.float64) for c in ["device_id", "state", *CHANNELS]}
        t0 = time.perf_counter()
        X, k, state = features(cols, meta)
        t1 = time.perf_counter()
        t_feat += t1 - t0
        rows += len(X)
        nfeat = X.shape[1]
        if b == 0:
            colsums = X.sum(axis=0).tolist()
        t2 = time.perf_counter()
        scored = (k >= split) & (state == 0)
        t3 = time.perf_counter()
        if forest is None:
            train = (k < split) & (state == 0)
            scaler = StandardScaler().fit(X[train])
            forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(scaler.transform(X[train]))
            n_train = int(train.sum())
        t4 = time.perf_counter()
        s = -forest.score_samples(scaler.transform(X[scored]))
        t5 = time.perf_counter()
        t_fit += t4 - t3
        t_score += (t3 - t2) + (t5 - t4)
        n_scored += len(s)
        score_sum += float(s.sum())
        del X
    print(json.dumps({"rows": rows, "features": nfeat, "train": n_train, "scored": n_scored,
                      "features_s": t_feat, "fit_s": t_fit, "score_s": t_score, "mean_score": score_sum / max(1, n_scored), "colsums": colsums}))


if __name__ == "__main__":
    main()
