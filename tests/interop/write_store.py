"""Write a store with the real MLflow client, for the workbench reader to read back.

Usage: python write_store.py ROOT
"""
import math
import os
import sys
import tempfile

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402

root = os.path.abspath(sys.argv[1])
mlflow.set_tracking_uri("file://" + root)
client = MlflowClient()

exp_id = client.create_experiment("python-written", tags={"team": "safety", "mlflow.note.content": "written by Python"})
other = client.create_experiment("to-delete")

parent = client.create_run(exp_id, run_name="parent", tags={"kind": "sweep"})
client.log_param(parent.info.run_id, "alpha", 0.5)
client.log_param(parent.info.run_id, "nested/key", "x y:z")
client.log_batch(
    parent.info.run_id,
    metrics=[Metric("loss", v, 1700000000000 + i, i) for i, v in enumerate([1.0, 0.5, float("nan"), float("inf"), -float("inf"), 1e-300, -0.0])],
    params=[Param("beta", "2")],
    tags=[RunTag("stage", "dev")],
)
client.log_metric(parent.info.run_id, "train/acc", 0.9, timestamp=1700000000100, step=2)
client.log_metric(parent.info.run_id, "train/acc", 0.95, timestamp=1700000000050, step=2)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "report.txt")
    with open(path, "w") as f:
        f.write("hello from python\n")
    client.log_artifact(parent.info.run_id, path)
    client.log_artifact(parent.info.run_id, path, artifact_path="sub/dir")
client.set_terminated(parent.info.run_id, "FINISHED")

for i in range(3):
    child = client.create_run(exp_id, run_name=f"child-{i}", tags={"mlflow.parentRunId": parent.info.run_id})
    client.log_metric(child.info.run_id, "score", i * 1.5, step=0)
    client.log_param(child.info.run_id, "i", i)
    client.set_terminated(child.info.run_id, "FAILED" if i == 2 else "FINISHED")

gone = client.create_run(exp_id, run_name="deleted-run")
client.log_metric(gone.info.run_id, "x", 1)
client.delete_run(gone.info.run_id)

client.create_run(other, run_name="in-deleted-experiment")
client.delete_experiment(other)
client.rename_experiment(exp_id, "python-written-renamed")
print(exp_id)
