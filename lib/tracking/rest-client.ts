/**
 * The HTTP transport of the REST backend: one attempt per call over keep-alive connections, with
 * every failure classified by whether the request may have reached the server. That distinction
 * drives idempotency: a refused connection certainly delivered nothing, while a reset, a timeout
 * or a 5xx answer may hide a write the server applied. Messages never carry credentials.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { NotFoundError, TrackingError } from "../errors.js";
import { authorizationHeader, describeAuth, Redactor, type RestAuth } from "./rest-auth.js";
import { RETRYABLE_STATUSES } from "./retry.js";

/** Whether a failed request may have been applied by the server. */
export type Delivery = "no" | "maybe" | "yes";

/** A failed REST call: the status and MLflow error code when the server answered. */
export class RestError extends TrackingError {
  override readonly name: string = "RestError";
  constructor(
    message: string,
    readonly details: {
      status?: number;
      errorCode?: string;
      /** Worth retrying: network trouble, timeout, or 408/429/5xx. */
      retryable: boolean;
      delivered: Delivery;
      retryAfterMs?: number;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server could not be reached (after retries): the cue to spool writes locally. */
export class ServerUnreachableError extends RestError {
  override readonly name: string = "ServerUnreachableError";
}

/** A RestError for an entity that does not exist (404 RESOURCE_DOES_NOT_EXIST). */
export class RestNotFoundError extends NotFoundError {
  override readonly name: string = "RestNotFoundError";
  constructor(
    message: string,
    readonly errorCode: string,
  ) {
    super(message);
  }
}

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** One request. */
export interface RestRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Path below the base URL, starting with "/". */
  path: string;
  query?: [string, string][];
  json?: unknown;
  /** A pre-serialized JSON body (skips JSON.stringify). */
  jsonText?: string;
  /** A raw body, or a function that opens a fresh stream for each attempt. */
  body?: Buffer | { length: number; open: () => Readable };
  timeoutMs?: number;
  /** Answer with the raw bytes instead of parsed JSON. */
  raw?: boolean;
}

/** A successful answer. */
export interface RestResponse {
  status: number;
  json: Record<string, unknown>;
  raw: Buffer;
}

/** Options of a client. */
export interface RestClientOptions {
  auth: RestAuth;
  /** Per-attempt timeout (ms): no answer within it counts as a (maybe delivered) failure. */
  timeoutMs: number;
  /** Accept self-signed certificates (MLFLOW_TRACKING_INSECURE_TLS). */
  insecureTls?: boolean;
  /** A CA bundle file for https (MLFLOW_TRACKING_SERVER_CERT_PATH). */
  caPath?: string;
}

function retryAfter(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** Single-attempt JSON-over-HTTP client bound to one server. */
export class RestClient {
  readonly redactor: Redactor;
  private readonly authHeader: string | undefined;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly isHttps: boolean;
  private readonly url: URL;

  constructor(
    readonly baseUrl: string,
    readonly options: RestClientOptions,
  ) {
    this.url = new URL(baseUrl);
    this.isHttps = this.url.protocol === "https:";
    this.redactor = new Redactor(options.auth);
    this.authHeader = authorizationHeader(options.auth);
    this.agent = this.isHttps
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 8,
          rejectUnauthorized: !options.insecureTls,
          ca: options.caPath ? readFileSync(options.caPath) : undefined,
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  }

  /** Close idle keep-alive sockets (lets a process exit at once). */
  close(): void {
    this.agent.destroy();
  }

  private where(request: RestRequest): string {
    return `${request.method} ${this.baseUrl}${request.path}`;
  }

  /** Send one attempt; throws RestError / RestNotFoundError classified for retries. */
  send(request: RestRequest): Promise<RestResponse> {
    const prefix = this.url.pathname.replace(/\/+$/, "");
    let path = prefix + request.path;
    if (request.query && request.query.length > 0) {
      path += "?" + request.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    }
    const headers: Record<string, string | number> = { Accept: "application/json" };
    if (this.authHeader) headers.Authorization = this.authHeader;
    let payload: Buffer | undefined;
    let stream: Readable | undefined;
    if (request.jsonText !== undefined || request.json !== undefined) {
      payload = Buffer.from(request.jsonText ?? JSON.stringify(request.json), "utf8");
      headers["Content-Type"] = "application/json";
    } else if (request.body instanceof Buffer) {
      payload = request.body;
      headers["Content-Type"] = "application/octet-stream";
    } else if (request.body) {
      stream = request.body.open();
      headers["Content-Type"] = "application/octet-stream";
      headers["Content-Length"] = request.body.length;
    }
    if (payload) headers["Content-Length"] = payload.length;
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs;
    const doRequest = this.isHttps ? httpsRequest : httpRequest;

    return new Promise<RestResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: RestError | RestNotFoundError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        stream?.destroy();
        reject(error);
      };
      const req = doRequest(
        { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, method: request.method, path, headers, agent: this.agent },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error: Error) => fail(this.networkError(request, error, "maybe")));
          res.on("end", () => {
            if (settled) return;
            const raw = Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              settled = true;
              clearTimeout(timer);
              let json: Record<string, unknown> = {};
              if (!request.raw && raw.length > 0) {
                try {
                  json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
                } catch {
                  reject(new RestError(`${this.where(request)}: the server answered ${status} with a body that is not JSON`, { status, retryable: false, delivered: "yes" }));
                  return;
                }
              }
              resolve({ status, json, raw });
              return;
            }
            fail(this.statusError(request, status, raw, res.headers["retry-after"]));
          });
        },
      );
      const timer = setTimeout(() => {
        fail(
          new RestError(`${this.where(request)}: no answer within ${timeoutMs} ms`, {
            retryable: true,
            delivered: "maybe",
          }),
        );
      }, timeoutMs);
      req.on("error", (error: NodeJS.ErrnoException) => {
        const code = error.code ?? "";
        // A refused or unresolvable connection never carried the request.
        fail(this.networkError(request, error, NOT_SENT_CODES.has(code) ? "no" : "maybe"));
      });
      if (stream) {
        stream.on("error", (error: Error) =>
          fail(new RestError(`${this.where(request)}: could not read the upload: ${error.message}`, { retryable: false, delivered: "no" }, { cause: error })),
        );
        stream.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  private networkError(request: RestRequest, error: NodeJS.ErrnoException, delivered: Delivery): RestError {
    const code = error.code ? ` (${error.code})` : "";
    const message = this.redactor.redact(`${this.where(request)}: ${delivered === "no" ? "could not connect" : "connection failed"}${code}: ${error.message}`);
    return new RestError(message, { retryable: true, delivered });
  }

  private statusError(request: RestRequest, status: number, raw: Buffer, retryAfterHeader: string | string[] | undefined): RestError | RestNotFoundError {
    const text = raw.toString("utf8");
    let errorCode: string | undefined;
    let serverMessage = text.trim().slice(0, 2000);
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown; detail?: unknown };
      if (typeof parsed.error_code === "string") errorCode = parsed.error_code;
      if (typeof parsed.message === "string") serverMessage = parsed.message;
      else if (typeof parsed.detail === "string") serverMessage = parsed.detail;
    } catch {
      // Plain text (the basic-auth app answers 401/403 this way) or HTML from a proxy.
    }
    serverMessage = this.redactor.redact(serverMessage);
    const where = this.where(request);
    if (status === 401) {
      return new RestError(
        `${where}: the tracking server rejected the credentials (401 Unauthorized) - the request used ${describeAuth(this.options.auth)}; server said: ${serverMessage || "(no message)"}`,
        { status, errorCode, retryable: false, delivered: "no" },
      );
    }
    if (status === 403) {
      return new RestError(
        `${where}: permission denied (403 Forbidden) for ${describeAuth(this.options.auth)}; server said: ${serverMessage || "(no message)"}`,
        { status, errorCode, retryable: false, delivered: "no" },
      );
    }
    if (status === 404 && (errorCode === "RESOURCE_DOES_NOT_EXIST" || errorCode === undefined)) {
      const notFound = new RestNotFoundError(`${where}: ${serverMessage || "not found"}`, errorCode ?? "NOT_FOUND");
      return notFound;
    }
    const retryable = RETRYABLE_STATUSES.has(status);
    return new RestError(`${where}: ${status}${errorCode ? ` ${errorCode}` : ""}: ${serverMessage || "(no message)"}`, {
      status,
      errorCode,
      retryable,
      // 429 and 503 mean "not now"; 500/502/504 may come after the write was applied.
      delivered: retryable ? "maybe" : "yes",
      retryAfterMs: retryAfter(retryAfterHeader),
    });
  }
}

/** Whether a thrown value is a RestError worth retrying. */
export function isRetryable(error: unknown): boolean {
  return error instanceof RestError && error.details.retryable;
}

/** Whether a thrown value may hide a write the server applied. */
export function maybeDelivered(error: unknown): boolean {
  return error instanceof RestError && error.details.delivered !== "no";
}
