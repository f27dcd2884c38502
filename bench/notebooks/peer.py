"""The peer: execute one notebook with Jupyter's nbconvert ExecutePreprocessor and the tslab kernel.

    peer.py ROOT NOTEBOOK  -> prints JSON {"kernel_start": s, "execute": s, "ok": bool, "error": str|null}

Run from the bench (bench.ts), which times the whole process too and points JUPYTER_PATH at a
kernelspec that starts tslab from the project root.
"""
import json
import sys
import time

import nbformat
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

root, path = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
ep = ExecutePreprocessor(kernel_name="tslab", timeout=900, startup_timeout=120)
started = time.time()
error = None
kernel_start = None
resources = {"metadata": {"path": root}}
try:
    # What ExecutePreprocessor.preprocess does, split so kernel start and execution are timed apart.
    ep._check_assign_resources(resources)
    ep.nb = nb
    with ep.setup_kernel():
        kernel_start = time.time() - started
        t0 = time.time()
        for index, cell in enumerate(nb.cells):
            ep.preprocess_cell(cell, resources, index)
        execute = time.time() - t0
except CellExecutionError as exc:
    error = str(exc)[:500]
    execute = time.time() - started
print(json.dumps({"kernel_start": kernel_start, "execute": execute, "ok": error is None, "error": error}))
