"""Run search_runs cases with the real MLflow and print the run ids each returns, in order.

Usage: python search_runs.py ROOT EXPERIMENT_NAME CASES_JSON
CASES_JSON is a list of [filter_string, [order_by...]].
"""
import json
import os
import sys

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

from mlflow import MlflowClient  # noqa: E402

client = MlflowClient(tracking_uri="file://" + os.path.abspath(sys.argv[1]))
experiment = client.get_experiment_by_name(sys.argv[2])
out = []
for filter_string, order_by in json.loads(sys.argv[3]):
    try:
        runs = client.search_runs([experiment.experiment_id], filter_string=filter_string, order_by=order_by or None, max_results=50000)
        out.append([r.info.run_id for r in runs])
    except Exception as exc:  # an invalid filter: report that it was rejected
        out.append({"error": type(exc).__name__})
print(json.dumps(out))
