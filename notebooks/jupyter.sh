#!/usr/bin/env bash
# `npm run jupyter`: make a Python venv with Jupyter (pinned in tests/interop/requirements-notebooks.txt),
# install the tslab kernelspec into it (the kernel runs from the project root, so notebooks import
# ./lib/...), then start JupyterLab on notebooks/. Extra arguments go to `jupyter lab`.
#   WORKBENCH_NOTEBOOK_VENV  venv folder (default .venv-notebooks)
#   --install-only           set up the venv and the kernelspec, do not start Jupyter
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${WORKBENCH_NOTEBOOK_VENV:-.venv-notebooks}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import jupyterlab, nbclient" 2>/dev/null; then
  echo "creating $VENV with Jupyter (tests/interop/requirements-notebooks.txt)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements-notebooks.txt
fi
npx --no-install tsx cli/main.ts notebook kernelspec --prefix "$VENV"
if [ "${1:-}" = "--install-only" ]; then
  exit 0
fi
exec "$VENV/bin/jupyter" lab --notebook-dir=notebooks "$@"
