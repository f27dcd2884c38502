"""The Python MLflow client doing the tracking bench's steps on its own file store.

Usage: python peer.py WORK_DIR SEARCH_ROOT REPEATS
Prints JSON: {"log_100k": [s...], "create_1k": [s...], "search_10k": [s...], "search_hits": n, "version": "..."}
"""
import json
import os
import sys
import time

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

work, search_root, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {"log_100k": [], "create_1k": [], "search_10k": [], "version": mlflow.__version__}

for rep in range(repeats):
    client = MlflowClient(tracking_uri="file://" + os.path.join(work, f"py-log-{rep}"))
    exp = client.create_experiment("bench")
    run = client.create_run(exp)
    now = int(time.time() * 1000)
    batches = [[Metric(f"m{j % 10}", float(b * 1000 + j), now, b * 1000 + j) for j in range(1000)] for b in range(100)]
    t = time.perf_counter()
    for batch in batches:
        client.log_batch(run.info.run_id, metrics=batch)
    out["log_100k"].append(time.perf_counter() - t)

    client = MlflowClient(tracking_uri="file://" + os.path.join(work, f"py-create-{rep}"))
    exp = client.create_experiment("bench")
    t = time.perf_counter()
    for i in range(1000):
        r = client.create_run(exp)
        client.log_batch(r.info.run_id, params=[Param(f"p{k}", str(i * 20 + k)) for k in range(20)])
    out["create_1k"].append(time.perf_counter() - t)

client = MlflowClient(tracking_uri="file://" + search_root)
exp = client.get_experiment_by_name("search-bench")
search_repeats = 1  # one pass over 10k runs already takes tens of seconds here
for rep in range(search_repeats):
    t = time.perf_counter()
    hits = client.search_runs([exp.experiment_id], filter_string="metrics.score > 0.9 and params.model = 'gbdt'", order_by=["metrics.score DESC"], max_results=50000)
    out["search_10k"].append(time.perf_counter() - t)
out["search_hits"] = len(hits)
print(json.dumps(out))
