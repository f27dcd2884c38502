"""Download one artifact with the real MLflow and print its text.

Usage: python download_artifact.py ROOT RUN_ID ARTIFACT_PATH DEST_DIR
"""
import os
import sys

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow  # noqa: E402

mlflow.set_tracking_uri("file://" + os.path.abspath(sys.argv[1]))
path = mlflow.artifacts.download_artifacts(run_id=sys.argv[2], artifact_path=sys.argv[3], dst_path=sys.argv[4])
with open(path) as f:
    print(f.read(), end="")
