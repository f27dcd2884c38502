"""Python MLflow client side of bench/remote: the same workloads as bench.ts, against the same server.

Usage: python peer.py SERVER_URL WORKLOAD [ARGS...]   prints {"seconds": s} (import time excluded)
  batch   POINTS            log POINTS metric points in log_batch calls of 1000 into one run
  single  CALLS             CALLS log_metric calls of one point each
  runs    RUNS PARAMS       RUNS runs: create, log PARAMS params in one batch, set terminated
  sync    LOCAL_MLRUNS EXP  copy every run of experiment EXP from a local file store to the server
                            (params, tags, full metric histories, artifacts, status): what a user
                            would write with the Python client, as no sync command ships with MLflow
"""
import json
import os
import sys
import time

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def main():
    url, workload = sys.argv[1], sys.argv[2]
    client = MlflowClient(tracking_uri=url)
    exp_name = f"bench-py-{workload}-{time.time_ns()}"
    exp_id = client.create_experiment(exp_name)
    now = int(time.time() * 1000)
    if workload == "batch":
        points = int(sys.argv[3])
        metrics = [Metric(f"m{i % 10}", i * 0.5, now, i) for i in range(points)]
        start = time.perf_counter()
        run = client.create_run(exp_id)
        for part in chunks(metrics, 1000):
            client.log_batch(run.info.run_id, metrics=part)
        client.set_terminated(run.info.run_id)
        seconds = time.perf_counter() - start
    elif workload == "single":
        calls = int(sys.argv[3])
        start = time.perf_counter()
        run = client.create_run(exp_id)
        for i in range(calls):
            client.log_metric(run.info.run_id, "m", i * 0.5, timestamp=now, step=i)
        client.set_terminated(run.info.run_id)
        seconds = time.perf_counter() - start
    elif workload == "runs":
        runs, params = int(sys.argv[3]), int(sys.argv[4])
        start = time.perf_counter()
        for r in range(runs):
            run = client.create_run(exp_id, run_name=f"r{r}")
            client.log_batch(run.info.run_id, params=[Param(f"p{i}", str(i * r)) for i in range(params)])
            client.set_terminated(run.info.run_id)
        seconds = time.perf_counter() - start
    elif workload == "sync":
        local_root, local_exp = sys.argv[3], sys.argv[4]
        local = MlflowClient(tracking_uri=local_root)
        start = time.perf_counter()
        source_exp = local.get_experiment_by_name(local_exp)
        for src in local.search_runs([source_exp.experiment_id], max_results=50000):
            run = client.create_run(exp_id, start_time=src.info.start_time, run_name=src.info.run_name)
            rid = run.info.run_id
            params = [Param(k, v) for k, v in src.data.params.items()]
            tags = [RunTag(k, v) for k, v in src.data.tags.items() if k != "mlflow.runName"]
            for part in chunks(params, 100):
                client.log_batch(rid, params=part)
            for part in chunks(tags, 100):
                client.log_batch(rid, tags=part)
            for key in src.data.metrics:
                history = local.get_metric_history(src.info.run_id, key)
                for part in chunks(history, 1000):
                    client.log_batch(rid, metrics=part)
            artifact_dir = src.info.artifact_uri.replace("file://", "")
            if os.path.isdir(artifact_dir) and os.listdir(artifact_dir):
                client.log_artifacts(rid, artifact_dir)
            client.set_terminated(rid, status=src.info.status, end_time=src.info.end_time)
        seconds = time.perf_counter() - start
    else:
        raise SystemExit(f"unknown workload {workload}")
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
