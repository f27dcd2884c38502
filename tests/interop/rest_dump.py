"""Dump runs from an MLflow tracking server with the real Python client, as canonical JSON.

Usage:
  python rest_dump.py TRACKING_URI run RUN_ID [RUN_ID ...]
      {run_id: {info, params, tags, metrics: {key: [[step, timestamp, value], ...]}, artifacts: {path: text}}}
  python rest_dump.py TRACKING_URI search EXPERIMENT_ID FILTER ORDER_BY MAX_RESULTS
      every page of search_runs, as [[run_id, ...], ...] (ORDER_BY: comma-separated, may be empty)

Credentials come from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD as for any MLflow client.
Metric histories are sorted by (step, timestamp, value) so that both sides compare in one order.
"""
import json
import math
import os
import sys
import tempfile

from mlflow import MlflowClient


def num(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
    return x


def sort_key(point):
    step, ts, value = point
    return (step, ts, -math.inf if isinstance(value, str) else value, str(value))


def walk(client, run_id, path, out, root):
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            walk(client, run_id, f.path, out, root)
        else:
            local = client.download_artifacts(run_id, f.path, root)
            with open(local, "rb") as fh:
                out[f.path] = fh.read().decode("utf-8", "replace")


def dump_run(client, run_id):
    run = client.get_run(run_id)
    metrics = {}
    for key in run.data.metrics:
        history = client.get_metric_history(run_id, key)
        metrics[key] = sorted(([m.step, m.timestamp, num(m.value)] for m in history), key=sort_key)
    artifacts = {}
    with tempfile.TemporaryDirectory() as root:
        walk(client, run_id, None, artifacts, root)
    info = run.info
    return {
        "info": {
            "run_id": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "lifecycle_stage": info.lifecycle_stage,
        },
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
        "latest": {k: num(v) for k, v in run.data.metrics.items()},
        "metrics": metrics,
        "artifacts": artifacts,
    }


def main():
    uri, verb = sys.argv[1], sys.argv[2]
    client = MlflowClient(tracking_uri=uri)
    if verb == "run":
        print(json.dumps({run_id: dump_run(client, run_id) for run_id in sys.argv[3:]}))
    elif verb == "search":
        experiment_id, filt, order, max_results = sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
        order_by = [o for o in order.split(",") if o] or None
        pages, token = [], None
        while True:
            page = client.search_runs([experiment_id], filt, max_results=max_results, order_by=order_by, page_token=token)
            pages.append([r.info.run_id for r in page])
            token = page.token
            if not token:
                break
        print(json.dumps(pages))
    else:
        raise SystemExit(f"unknown verb {verb}")


if __name__ == "__main__":
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    main()
