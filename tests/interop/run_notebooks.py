"""Execute notebooks with real Jupyter (nbclient + the tslab kernelspec), or validate notebook files.

    run_notebooks.py execute ROOT OUT_DIR NB...   -> JSON list of {path, output, ok, error, seconds}
    run_notebooks.py validate NB...              -> JSON list of {path, ok, error}

The kernel must be discoverable as "tslab" (JUPYTER_PATH pointing at a folder with kernels/tslab).
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(root, out_dir, paths):
    results = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name="tslab", timeout=900, startup_timeout=120, resources={"metadata": {"path": root}})
        started = time.time()
        error = None
        try:
            client.execute()
        except CellExecutionError as exc:
            error = str(exc)[:4000]
        except Exception as exc:  # kernel died, timeout: report, keep going
            error = f"{type(exc).__name__}: {exc}"[:4000]
        output = os.path.join(out_dir, os.path.basename(path))
        nbformat.validate(nb)
        nbformat.write(nb, output)
        results.append({"path": path, "output": output, "ok": error is None, "error": error, "seconds": time.time() - started})
    return results


def validate(paths):
    results = []
    for path in paths:
        try:
            nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))
            results.append({"path": path, "ok": True, "error": None})
        except Exception as exc:
            results.append({"path": path, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:4000]})
    return results


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "execute":
        print(json.dumps(execute(sys.argv[2], sys.argv[3], sys.argv[4:])))
    elif mode == "validate":
        print(json.dumps(validate(sys.argv[2:])))
    else:
        sys.exit(f"unknown mode {mode}")
