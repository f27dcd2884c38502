/**
 * Credentials for an MLflow tracking server and the redaction that keeps them out of every message,
 * log line, param, tag and spool file the workbench writes. Basic auth (MLFLOW_TRACKING_USERNAME +
 * MLFLOW_TRACKING_PASSWORD) wins over a bearer token (MLFLOW_TRACKING_TOKEN), as in the Python client.
 */
import { TrackingError } from "../errors.js";

/** How requests authenticate. */
export type RestAuth = { kind: "none" } | { kind: "basic"; username: string; password: string } | { kind: "bearer"; token: string };

/** A tracking server address split into a credential-free base URL and any credentials it carried. */
export interface ParsedServerUri {
  /** Origin plus path prefix, no trailing slash, no user info. */
  baseUrl: string;
  /** Credentials written into the URI as user:password@host, if any. */
  userInfo?: { username: string; password: string };
}

/** Split `http(s)://[user:pass@]host[:port][/prefix]` into a base URL and embedded credentials. */
export function parseServerUri(uri: string): ParsedServerUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TrackingError(`invalid tracking server URI '${stripUserInfo(uri)}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrackingError(`tracking server URI must start with http:// or https:// (got '${url.protocol}')`);
  }
  const userInfo = url.username !== "" ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return { baseUrl: url.toString().replace(/\/+$/, ""), userInfo };
}

/** Remove `user:password@` from any URL inside a text. */
export function stripUserInfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1***@");
}

/** The credentials the environment provides (Basic wins over Bearer), or those embedded in the URI. */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env, embedded?: ParsedServerUri["userInfo"]): RestAuth {
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password !== undefined && password !== "") return { kind: "basic", username, password };
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: "bearer", token: env.MLFLOW_TRACKING_TOKEN };
  if (embedded && embedded.username !== "") return { kind: "basic", username: embedded.username, password: embedded.password };
  return { kind: "none" };
}

/** The Authorization header value for the credentials, if any. */
export function authorizationHeader(auth: RestAuth): string | undefined {
  if (auth.kind === "basic") return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
  if (auth.kind === "bearer") return `Bearer ${auth.token}`;
  return undefined;
}

/** Which environment variables name the credentials in use (for error messages that must not show them). */
export function describeAuth(auth: RestAuth): string {
  if (auth.kind === "basic") return `basic auth as user '${auth.username}' (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)`;
  if (auth.kind === "bearer") return "a bearer token (MLFLOW_TRACKING_TOKEN)";
  return "no credentials (set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN)";
}

/**
 * Replaces every secret of a set of credentials (password, token, the encoded Basic header) and
 * every URL user info by `***`. Secrets shorter than 4 characters are still redacted: a short
 * password is no less secret, only likelier to hit innocent text.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(auth: RestAuth) {
    const secrets: string[] = [];
    if (auth.kind === "basic") {
      if (auth.password) secrets.push(auth.password, encodeURIComponent(auth.password));
      secrets.push(Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64"));
    } else if (auth.kind === "bearer") {
      secrets.push(auth.token, encodeURIComponent(auth.token));
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  }

  /** Whether the text contains a secret. */
  contains(text: string): boolean {
    for (const secret of this.secrets) if (text.includes(secret)) return true;
    return false;
  }

  /** The text with secrets and URL user info replaced by `***`. */
  redact(text: string): string {
    let out = stripUserInfo(text);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join("***");
    return out;
  }
}
