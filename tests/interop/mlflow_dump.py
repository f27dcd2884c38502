"""Dump an MLflow file store as canonical JSON using the real MLflow client.

Usage:
  python mlflow_dump.py ROOT            print one dump of ROOT
  python mlflow_dump.py --serve         read store roots from stdin, one per line; answer each with
                                        one line of JSON (a dump, or {"error": ...}); keeps MLflow
                                        imported between requests so property tests stay fast.

The TypeScript side (tests/interop/dump.ts) produces the same shape from the workbench reader, so
the two can be compared with a deep equality.
"""
import json
import math
import os
import sys
import traceback

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_TRACKING_DIR", "")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402


def num(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
    return x


def artifacts(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        out.append({"path": f.path, "isDir": f.is_dir, "fileSize": f.file_size})
        if f.is_dir:
            out.extend(artifacts(client, run_id, f.path))
    return out


def dump(root):
    client = MlflowClient(tracking_uri="file://" + os.path.abspath(root))
    experiments = client.search_experiments(view_type=ViewType.ALL, max_results=50000)
    exps = []
    runs = []
    active_ids = []
    for e in sorted(experiments, key=lambda e: e.experiment_id):
        exps.append({
            "experimentId": e.experiment_id,
            "name": e.name,
            "lifecycleStage": e.lifecycle_stage,
            "tags": dict(sorted(e.tags.items())),
        })
        for r in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=50000):
            info = r.info
            histories = {}
            for key in sorted(r.data.metrics.keys()):
                histories[key] = [[m.timestamp, num(m.value), m.step] for m in client.get_metric_history(info.run_id, key)]
            runs.append({
                "runId": info.run_id,
                "experimentId": info.experiment_id,
                "runName": info.run_name,
                "status": info.status,
                "startTime": info.start_time,
                "endTime": info.end_time,
                "lifecycleStage": info.lifecycle_stage,
                "userId": info.user_id,
                "params": dict(sorted(r.data.params.items())),
                "tags": dict(sorted(r.data.tags.items())),
                "metrics": {k: num(v) for k, v in sorted(r.data.metrics.items())},
                "histories": histories,
                "artifacts": sorted(artifacts(client, info.run_id), key=lambda a: a["path"]),
            })
        if e.lifecycle_stage == "active":
            active_ids.extend(r.info.run_id for r in client.search_runs([e.experiment_id], max_results=50000))
    return {"experiments": exps, "runs": sorted(runs, key=lambda r: r["runId"]), "activeRunIds": sorted(active_ids)}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        for line in sys.stdin:
            root = line.strip()
            if not root:
                continue
            try:
                print(json.dumps(dump(root)), flush=True)
            except Exception as exc:  # report, keep serving
                print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}), flush=True)
        return
    print(json.dumps(dump(sys.argv[1]), indent=1))


if __name__ == "__main__":
    main()
