"""PyMC (and nutpie, if installed) peer for bench/bayes/bench.ts.

Usage: python pymc_peer.py DATA.json OUT.json [--nutpie] [--full] [--tune N] [--draws N]
(--full also runs PyMC with init="jitter+adapt_full", its dense-metric adaptation.)
Fits the hierarchical Weibull survival model (same priors as lib/bayes/models/weibull-survival.ts)
with 4 chains x (1000 tune + 1000 draws) on 2 cores, and writes wall, compile and sampling times
plus ArviZ bulk ESS per scalar parameter.
"""

import json
import sys
import time

T_IMPORT = time.time()
import arviz as az  # noqa: E402
import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402

IMPORT_SECONDS = time.time() - T_IMPORT


def build_model(d):
    logt = np.log(np.asarray(d["time"], dtype=float))
    event = np.asarray(d["event"], dtype=float)
    group = np.asarray(d["group"], dtype=int)
    p = len(d["covariateNames"])
    x = np.asarray(d["x"], dtype=float).reshape(-1, p) if p else np.zeros((len(logt), 0))
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        alpha = pm.LogNormal("alpha", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 1.0)
        beta = pm.Normal("beta", 0.0, 1.0, shape=p)
        z = pm.Normal("z", 0.0, 1.0, shape=d["nGroups"])
        eta = mu + sigma * z[group]
        # Column by column: elementwise ops fuse into one loop and need no BLAS.
        for j in range(p):
            eta = eta + x[:, j] * beta[j]
        u = logt - eta
        loglik = event * (pm.math.log(alpha) + alpha * u - logt) - pm.math.exp(alpha * u)
        pm.Potential("loglik", loglik.sum())
    return model


def ess_table(idata):
    ess = az.ess(idata, method="bulk", var_names=["mu", "alpha", "sigma", "beta", "z"])
    out = {}
    for name in ["mu", "alpha", "sigma"]:
        out[name] = float(ess[name])
    for name in ["beta", "z"]:
        vals = np.atleast_1d(ess[name].values)
        for i, v in enumerate(vals):
            out[f"{name}[{i}]"] = float(v)
    return out


def main():
    data_path, out_path = sys.argv[1], sys.argv[2]
    with open(data_path) as f:
        d = json.load(f)
    result = {"pymc_version": pm.__version__, "import_seconds": IMPORT_SECONDS}
    tune = int(sys.argv[sys.argv.index("--tune") + 1]) if "--tune" in sys.argv else 1000
    draws = int(sys.argv[sys.argv.index("--draws") + 1]) if "--draws" in sys.argv else 1000

    inits = [("pymc", "jitter+adapt_diag")]
    if "--full" in sys.argv:
        inits.append(("pymc_full", "jitter+adapt_full"))
    for key, init in inits:
        t0 = time.time()
        model = build_model(d)
        with model:
            idata = pm.sample(draws=draws, tune=tune, chains=4, cores=2, init=init, random_seed=1, progressbar=False, compute_convergence_checks=False)
        wall = time.time() - t0
        sampling = float(idata.posterior.attrs.get("sampling_time", float("nan")))
        result[key] = {
            "init": init,
            "wall_seconds": wall,
            "sampling_seconds": sampling,
            "setup_seconds": wall - sampling,
            "ess_bulk": ess_table(idata),
            "divergences": int(idata.sample_stats["diverging"].sum()),
            "mean_n_steps": float(idata.sample_stats["n_steps"].mean()),
        }
        print(key, "done", round(wall, 1), "s", file=sys.stderr)

    if "--nutpie" in sys.argv:
        try:
            import nutpie

            t0 = time.time()
            model = build_model(d)
            compiled = nutpie.compile_pymc_model(model)
            t1 = time.time()
            idata = nutpie.sample(compiled, draws=draws, tune=tune, chains=4, cores=2, seed=1, progress_bar=False)
            t2 = time.time()
            result["nutpie"] = {
                "version": nutpie.__version__,
                "wall_seconds": t2 - t0,
                "sampling_seconds": t2 - t1,
                "setup_seconds": t1 - t0,
                "ess_bulk": ess_table(idata),
                "divergences": int(idata.sample_stats["diverging"].sum()),
            }
            print("nutpie done", round(t2 - t0, 1), "s", file=sys.stderr)
        except Exception as e:  # nutpie is optional
            result["nutpie_error"] = repr(e)

    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
