import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authFromEnv, authorizationHeader, parseServerUri, Redactor, stripUserInfo } from "../../lib/tracking/rest-auth.js";
import { chunkLogBatch, decodeMetricValue, encodeMetricValue, metricPointKey, MLFLOW_BATCH_LIMITS, proxiedArtifactRoot } from "../../lib/tracking/rest-codec.js";
import { backoffDelay, backoffSchedule, retryPolicyFromEnv, withRetries, type RetryPolicy } from "../../lib/tracking/retry.js";
import { RestError } from "../../lib/tracking/rest-client.js";
import type { Metric } from "../../lib/tracking/entities.js";
import { createRng } from "../../lib/util/random.js";

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.5 };

describe("backoff schedule", () => {
  it("doubles from the base, caps at the maximum, and jitters down by at most the jitter fraction", () => {
    // Without jitter (u = 0) the ceilings are exact: 100, 200, 400, 800, then the 1000 cap.
    expect([0, 1, 2, 3, 4, 5].map((i) => backoffDelay(policy, i, 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
    // u -> 1 takes the full jitter: half of each ceiling.
    expect(backoffDelay(policy, 2, 0.999999)).toBe(200);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (i, u) => {
        const ceiling = Math.min(1000, 100 * 2 ** i);
        const d = backoffDelay(policy, i, u);
        return d <= ceiling && d >= Math.floor(ceiling * 0.5);
      }),
    );
  });

  it("draws its jitter from the seeded generator: same seed, same schedule", () => {
    const a = backoffSchedule(policy, createRng(7));
    const b = backoffSchedule(policy, createRng(7));
    expect(a).toEqual(b);
    expect(a).toHaveLength(policy.maxAttempts - 1);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it("reads attempts from the environment, WORKBENCH_ first, MLflow's retry count as a fallback", () => {
    expect(retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: "2" }).maxAttempts).toBe(3);
    expect(retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: "2", WORKBENCH_HTTP_MAX_ATTEMPTS: "9" }).maxAttempts).toBe(9);
    expect(retryPolicyFromEnv({ WORKBENCH_HTTP_BACKOFF_MS: "5", WORKBENCH_HTTP_BACKOFF_JITTER: "3" })).toMatchObject({ baseDelayMs: 5, jitter: 1 });
  });

  it("retries retryable failures up to the attempt limit and stops at once on the others", async () => {
    const slept: number[] = [];
    const retryable = new RestError("503", { status: 503, retryable: true, delivered: "maybe" });
    let calls = 0;
    await expect(
      withRetries(policy, createRng(1), async () => {
        calls++;
        throw retryable;
      }, { isRetryable: (e) => e instanceof RestError && e.details.retryable, sleep: async (ms) => void slept.push(ms) }),
    ).rejects.toBe(retryable);
    expect(calls).toBe(6);
    expect(slept).toHaveLength(5);
    slept.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** i)));

    calls = 0;
    const fatal = new RestError("400", { status: 400, retryable: false, delivered: "yes" });
    await expect(
      withRetries(policy, createRng(1), async () => {
        calls++;
        throw fatal;
      }, { isRetryable: (e) => e instanceof RestError && e.details.retryable, sleep: async () => {} }),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it("waits at least what Retry-After asks, within the cap", async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetries(
      { ...policy, jitter: 0 },
      createRng(1),
      async () => {
        if (++calls < 3) throw new RestError("429", { status: 429, retryable: true, delivered: "maybe", retryAfterMs: calls === 1 ? 700 : 5000 });
        return "ok";
      },
      { isRetryable: () => true, retryAfterMs: (e) => (e as RestError).details.retryAfterMs, sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe("ok");
    expect(slept).toEqual([700, 1000]);
  });
});

describe("metric values over JSON", () => {
  it("spells NaN and infinities as proto3 JSON does, and reads them back", () => {
    expect([NaN, Infinity, -Infinity, 1.5, -0.25].map(encodeMetricValue)).toEqual(["NaN", "Infinity", "-Infinity", 1.5, -0.25]);
    expect(["NaN", "Infinity", "-Infinity", 2, "3.5"].map(decodeMetricValue)).toEqual([NaN, Infinity, -Infinity, 2, 3.5]);
    expect(() => decodeMetricValue("abc")).toThrow(/not a number/);
  });

  it("counts an infinity and the SQL store's clamped largest double as the same point", () => {
    expect(metricPointKey("m", Infinity, 1, 2)).toBe(metricPointKey("m", Number.MAX_VALUE, 1, 2));
    expect(metricPointKey("m", -Infinity, 1, 2)).toBe(metricPointKey("m", -Number.MAX_VALUE, 1, 2));
    expect(metricPointKey("m", NaN, 1, 2)).toBe(metricPointKey("m", NaN, 1, 2));
    expect(metricPointKey("m", 1, 1, 2)).not.toBe(metricPointKey("m", 1, 2, 1));
  });
});

describe("log-batch chunking", () => {
  const metric = fc.record({
    key: fc.stringMatching(/^[a-z][a-z0-9_/]{0,20}$/),
    value: fc.oneof(fc.double(), fc.constant(NaN), fc.constant(Infinity)),
    timestamp: fc.integer({ min: 0, max: 2 ** 41 }),
    step: fc.integer({ min: -5, max: 1e6 }),
  });
  const record = (maxLength: number) => fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_.]{0,30}$/), fc.string({ maxLength }), { maxKeys: 260 });

  it("keeps every chunk within MLflow's limits and loses, adds or reorders nothing", () => {
    fc.assert(
      fc.property(fc.array(metric, { maxLength: 2600 }), record(40), record(40), (metrics, params, tags) => {
        const chunks = chunkLogBatch("r1", { metrics, params, tags });
        for (const c of chunks) {
          const nParams = Object.keys(c.params).length;
          const nTags = Object.keys(c.tags).length;
          if (c.metrics.length > 1000 || nParams > 100 || nTags > 100 || c.metrics.length + nParams + nTags > 1000) return false;
          if (Buffer.byteLength(c.body, "utf8") > 1_000_000) return false;
          const parsed = JSON.parse(c.body) as { run_id: string; metrics: { value: unknown }[]; params: unknown[]; tags: unknown[] };
          if (parsed.run_id !== "r1" || parsed.metrics.length !== c.metrics.length || parsed.params.length !== nParams || parsed.tags.length !== nTags) return false;
        }
        const allMetrics = chunks.flatMap((c) => c.metrics);
        expect(allMetrics).toEqual(metrics);
        expect(Object.assign({}, ...chunks.map((c) => c.params))).toEqual(params);
        expect(Object.assign({}, ...chunks.map((c) => c.tags))).toEqual(tags);
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it("splits by body size when long values would pass 1 MB", () => {
    const params: Record<string, string> = {};
    const tags: Record<string, string> = {};
    for (let i = 0; i < 100; i++) params[`p${i}`] = "x".repeat(6000);
    for (let i = 0; i < 100; i++) tags[`t${i}`] = "é".repeat(4000); // 8000 bytes each in UTF-8
    const chunks = chunkLogBatch("r1", { params, tags });
    expect(chunks.length).toBe(2);
    for (const c of chunks) expect(Buffer.byteLength(c.body, "utf8")).toBeLessThanOrEqual(MLFLOW_BATCH_LIMITS.bodyBytes);
    // Greedy: the first chunk is as full as the byte limit allows.
    const first = Buffer.byteLength(chunks[0].body, "utf8");
    expect(first + 8050).toBeGreaterThan(MLFLOW_BATCH_LIMITS.bodyBytes);
  });

  it("fills chunks to 1000 metrics, then 1000 entries in all", () => {
    const metrics: Metric[] = Array.from({ length: 2500 }, (_, i) => ({ key: "m", value: i, timestamp: 1, step: i }));
    expect(chunkLogBatch("r", { metrics }).map((c) => c.metrics.length)).toEqual([1000, 1000, 500]);
    const params = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, "v"]));
    const mixed = chunkLogBatch("r", { metrics: metrics.slice(0, 990), params });
    expect(mixed.map((c) => [Object.keys(c.params).length, c.metrics.length])).toEqual([
      [50, 950],
      [0, 40],
    ]);
  });
});

describe("artifact roots", () => {
  it("maps mlflow-artifacts URIs (both spellings) and same-server http URLs to proxied paths", () => {
    expect(proxiedArtifactRoot("mlflow-artifacts:/1/abc/artifacts", "http://h:5000")).toBe("1/abc/artifacts");
    expect(proxiedArtifactRoot("mlflow-artifacts://h:5000/1/abc/artifacts", "http://h:5000")).toBe("1/abc/artifacts");
    expect(proxiedArtifactRoot("http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts", "http://h:5000")).toBe("1/abc/artifacts");
    expect(proxiedArtifactRoot("file:///srv/mlruns/1/abc/artifacts", "http://h:5000")).toBeUndefined();
    expect(proxiedArtifactRoot("s3://bucket/1/abc/artifacts", "http://h:5000")).toBeUndefined();
  });
});

describe("credentials", () => {
  it("prefers Basic (username + password) over a bearer token, and neither without both parts", () => {
    expect(authFromEnv({ MLFLOW_TRACKING_USERNAME: "u", MLFLOW_TRACKING_PASSWORD: "p", MLFLOW_TRACKING_TOKEN: "t" })).toEqual({ kind: "basic", username: "u", password: "p" });
    expect(authFromEnv({ MLFLOW_TRACKING_USERNAME: "u", MLFLOW_TRACKING_TOKEN: "t" })).toEqual({ kind: "bearer", token: "t" });
    expect(authFromEnv({})).toEqual({ kind: "none" });
    expect(authorizationHeader({ kind: "basic", username: "u", password: "p" })).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    expect(authorizationHeader({ kind: "bearer", token: "t0k" })).toBe("Bearer t0k");
  });

  it("takes credentials out of the URI and keeps them out of the base URL", () => {
    const parsed = parseServerUri("http://alice:s%40cret@127.0.0.1:5000/prefix/");
    expect(parsed).toEqual({ baseUrl: "http://127.0.0.1:5000/prefix", userInfo: { username: "alice", password: "s@cret" } });
    expect(authFromEnv({}, parsed.userInfo)).toEqual({ kind: "basic", username: "alice", password: "s@cret" });
    expect(stripUserInfo("failed at http://alice:pw@host:1/x and https://tok@h/")).toBe("failed at http://***@host:1/x and https://***@h/");
  });

  it("redacts the password, the token, their URL-encoded forms and the encoded Basic header", () => {
    const basic = new Redactor({ kind: "basic", username: "alice", password: "p@ss word" });
    const header = Buffer.from("alice:p@ss word").toString("base64");
    const text = `x p@ss word y p%40ss%20word z ${header}`;
    expect(basic.contains(text)).toBe(true);
    const out = basic.redact(text);
    expect(out).toBe("x *** y *** z ***");
    expect(basic.contains(out)).toBe(false);
    const bearer = new Redactor({ kind: "bearer", token: "tok-123" });
    expect(bearer.redact("Bearer tok-123 failed")).toBe("Bearer *** failed");
    expect(new Redactor({ kind: "none" }).redact("nothing to hide")).toBe("nothing to hide");
  });
});
