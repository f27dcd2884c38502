/**
 * Retries for the REST backend: a bounded number of attempts with exponential backoff and jitter,
 * like the Python client's urllib3 policy (which retries 408/429/500/502/503/504). The delays are
 * pure functions of the policy and a uniform draw, so they can be tested without a clock.
 */
import type { Rng } from "../util/random.js";

/** How often and how patiently a request is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Delay before the first retry, before jitter (ms). */
  baseDelayMs: number;
  /** Growth of the delay per retry. */
  factor: number;
  /** Cap on one delay (ms). */
  maxDelayMs: number;
  /** Fraction of each delay drawn at random (0 = none, 1 = anywhere in [0, delay]). */
  jitter: number;
}

/** Defaults: 6 attempts, 0.25 s doubling to at most 8 s, half of each delay random (about 10 s worst case in all). */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 6,
  baseDelayMs: 250,
  factor: 2,
  maxDelayMs: 8000,
  jitter: 0.5,
};

/** HTTP statuses worth retrying: the server or a proxy was busy, timed out or failed. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The delay before retry number `retryIndex` (0 for the first retry) given a uniform draw `u` in
 * [0, 1): `d = min(maxDelay, base * factor^retryIndex)`, then `d * (1 - jitter * u)`, so the delay
 * stays within [d (1 - jitter), d] and retrying clients spread out instead of arriving together.
 */
export function backoffDelay(policy: RetryPolicy, retryIndex: number, u: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * Math.pow(policy.factor, retryIndex));
  return Math.max(0, Math.round(ceiling * (1 - policy.jitter * u)));
}

/** The whole schedule of delays (one per retry) a policy produces with a generator. */
export function backoffSchedule(policy: RetryPolicy, rng: Rng): number[] {
  const out: number[] = [];
  for (let i = 0; i < policy.maxAttempts - 1; i++) out.push(backoffDelay(policy, i, rng.uniform()));
  return out;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * A policy from the environment: WORKBENCH_HTTP_MAX_ATTEMPTS, WORKBENCH_HTTP_BACKOFF_MS,
 * WORKBENCH_HTTP_BACKOFF_MAX_MS, WORKBENCH_HTTP_BACKOFF_JITTER, falling back to the Python client's
 * MLFLOW_HTTP_REQUEST_MAX_RETRIES (retries after the first attempt) for the attempt count.
 */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env, base: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...base };
  const attempts = positiveNumber(env, "WORKBENCH_HTTP_MAX_ATTEMPTS");
  const mlflowRetries = positiveNumber(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES");
  if (attempts !== undefined) policy.maxAttempts = Math.max(1, Math.floor(attempts));
  else if (mlflowRetries !== undefined) policy.maxAttempts = Math.floor(mlflowRetries) + 1;
  policy.baseDelayMs = positiveNumber(env, "WORKBENCH_HTTP_BACKOFF_MS") ?? policy.baseDelayMs;
  policy.maxDelayMs = positiveNumber(env, "WORKBENCH_HTTP_BACKOFF_MAX_MS") ?? policy.maxDelayMs;
  const jitter = positiveNumber(env, "WORKBENCH_HTTP_BACKOFF_JITTER");
  if (jitter !== undefined) policy.jitter = Math.min(1, jitter);
  return policy;
}

/** What the retry loop needs to know about a failure. */
export interface RetryHooks {
  /** Whether the failure may go away on its own (network, timeout, retryable status). */
  isRetryable(error: unknown): boolean;
  /** A server-requested wait (Retry-After), capped by the policy. */
  retryAfterMs?(error: unknown): number | undefined;
  /** Called before each retry with the failure and the number of the coming attempt (2, 3, ...). */
  beforeRetry?(error: unknown, nextAttempt: number): void | Promise<void>;
  /** Sleep (injectable for tests). */
  sleep?(ms: number): Promise<void>;
}

/** Sleep for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run `attempt` until it succeeds, fails for good, or the policy's attempts are used up (the last error is thrown). */
export async function withRetries<T>(policy: RetryPolicy, rng: Rng, attempt: (attemptNumber: number) => Promise<T>, hooks: RetryHooks): Promise<T> {
  const wait = hooks.sleep ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.maxAttempts || !hooks.isRetryable(error)) throw error;
      const planned = backoffDelay(policy, n - 1, rng.uniform());
      const asked = hooks.retryAfterMs?.(error);
      await wait(asked === undefined ? planned : Math.min(policy.maxDelayMs, Math.max(planned, asked)));
      await hooks.beforeRetry?.(error, n + 1);
    }
  }
}
