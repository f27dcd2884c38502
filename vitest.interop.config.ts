import { defineConfig } from "vitest/config";

// Interop tests run the real Python `mlflow` package from the venv named by WORKBENCH_PYTHON
// (default .venv-interop/bin/python), which .ci/run creates from tests/interop/requirements.txt.
export default defineConfig({
  test: {
    include: ["tests/interop/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    fileParallelism: false,
    setupFiles: ["tests/fast-check-seed.ts"],
  },
});
