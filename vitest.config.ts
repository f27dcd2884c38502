import { defineConfig } from "vitest/config";

// The default suite: fast unit and property tests. Interop tests (real Python MLflow) live in
// tests/interop and run through vitest.interop.config.ts, because they need the venv .ci/run builds.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/interop/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["tests/fast-check-seed.ts"],
  },
});
