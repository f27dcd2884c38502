/**
 * MLflow's search_runs filter grammar and order_by clauses (mlflow/utils/search_utils.py):
 * clauses joined by AND, comparisons on metrics, params, tags and run attributes, LIKE/ILIKE,
 * IN for run ids, IS [NOT] NULL for params and tags; ordering with missing values last.
 */
import { TrackingError } from "../errors.js";
import type { RunInfo } from "./entities.js";

/** What a clause compares: a metric, param, tag or run attribute. */
export type EntityType = "metric" | "param" | "tag" | "attribute";

/** One parsed `entity.key <op> value` clause. */
export interface FilterClause {
  type: EntityType;
  key: string;
  comparator: string;
  value: number | string | string[] | null;
}

/** One parsed order_by clause. */
export interface OrderClause {
  type: EntityType;
  key: string;
  ascending: boolean;
}

const ENTITY_ALIASES: Record<string, EntityType> = {
  metric: "metric",
  metrics: "metric",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
};
const NUMERIC_ATTRIBUTES = new Set(["start_time", "end_time", "created", "Created"]);
const STRING_ATTRIBUTES = new Set(["run_id", "run_name", "status", "user_id", "artifact_uri", "run name", "Run name", "Run Name"]);
const METRIC_COMPARATORS = new Set([">", ">=", "!=", "=", "<", "<="]);
const STRING_COMPARATORS = new Set(["!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"]);
const STRING_ATTRIBUTE_COMPARATORS = new Set(["!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"]);

type Token =
  | { kind: "ident"; text: string }
  | { kind: "string"; text: string; quote: "'" | '"' }
  | { kind: "number"; text: string }
  | { kind: "op"; text: string }
  | { kind: "word"; text: string }
  | { kind: "list"; items: string[] };

function fail(filter: string, why: string): never {
  throw new TrackingError(`invalid filter "${filter}": ${why}`);
}

function readQuoted(source: string, start: number, quote: string, filter: string): [string, number] {
  let i = start + 1;
  let out = "";
  for (;;) {
    if (i >= source.length) fail(filter, `unterminated ${quote}quoted${quote} text starting at character ${start + 1}`);
    const ch = source[i];
    if (ch === quote) {
      if (source[i + 1] === quote) {
        out += quote;
        i += 2;
        continue;
      }
      return [out, i + 1];
    }
    if (ch === "\\" && i + 1 < source.length) {
      out += source[i + 1];
      i += 2;
      continue;
    }
    out += ch;
    i++;
  }
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = filter.length;
  while (i < n) {
    const ch = filter[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const [text, next] = readQuoted(filter, i, ch, filter);
      tokens.push({ kind: "string", text, quote: ch });
      i = next;
      continue;
    }
    if (ch === "(") {
      const items: string[] = [];
      i++;
      for (;;) {
        while (i < n && /\s/.test(filter[i])) i++;
        if (filter[i] === ")") {
          i++;
          break;
        }
        if (filter[i] !== "'" && filter[i] !== '"') fail(filter, "a list must hold quoted strings, e.g. ('a', 'b')");
        const [text, next] = readQuoted(filter, i, filter[i], filter);
        items.push(text);
        i = next;
        while (i < n && /\s/.test(filter[i])) i++;
        if (filter[i] === ",") i++;
        else if (filter[i] !== ")") fail(filter, "expected ',' or ')' in a list");
      }
      tokens.push({ kind: "list", items });
      continue;
    }
    const op = /^(>=|<=|!=|<>|=|>|<)/.exec(filter.slice(i));
    if (op) {
      tokens.push({ kind: "op", text: op[1] === "<>" ? "!=" : op[1] });
      i += op[1].length;
      continue;
    }
    const num = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(?![\w.])/.exec(filter.slice(i));
    if (num && (tokens.length === 0 || tokens[tokens.length - 1].kind === "op" || tokens[tokens.length - 1].kind === "word")) {
      tokens.push({ kind: "number", text: num[0] });
      i += num[0].length;
      continue;
    }
    // An identifier: dotted parts, each a bare word or a back/double-quoted name.
    let j = i;
    let text = "";
    for (;;) {
      if (filter[j] === "`" || (filter[j] === '"' && text.endsWith("."))) {
        const [part, next] = readQuoted(filter, j, filter[j], filter);
        text += "`" + part + "`";
        j = next;
      } else {
        const word = /^[\w:\-]+/u.exec(filter.slice(j));
        if (!word) break;
        text += word[0];
        j += word[0].length;
      }
      if (filter[j] === ".") {
        text += ".";
        j++;
        continue;
      }
      break;
    }
    if (j === i) fail(filter, `unexpected character '${ch}' at position ${i + 1}`);
    const upper = text.toUpperCase();
    if (["AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"].includes(upper)) tokens.push({ kind: "word", text: upper });
    else tokens.push({ kind: "ident", text });
    i = j;
  }
  return tokens;
}

function unquoteKey(key: string): string {
  if (key.length >= 2 && key.startsWith("`") && key.endsWith("`")) return key.slice(1, -1);
  return key;
}

function parseIdentifier(text: string, filter: string, allowed: Set<string>): { type: EntityType; key: string } {
  const dot = text.indexOf(".");
  const rawType = dot < 0 ? "attribute" : unquoteKey(text.slice(0, dot));
  const key = dot < 0 ? unquoteKey(text) : unquoteKey(text.slice(dot + 1));
  const type = ENTITY_ALIASES[rawType];
  if (!type) fail(filter, `invalid entity type '${rawType}'; valid ones are metric, parameter, tag, attribute`);
  if (type === "attribute" && !allowed.has(key)) {
    fail(filter, `invalid attribute key '${key}'; valid ones are ${[...allowed].join(", ")}`);
  }
  return { type, key };
}

function translateAlias(key: string): string {
  if (key === "created" || key === "Created") return "start_time";
  if (key === "run name" || key === "Run name" || key === "Run Name") return "run_name";
  return key;
}

/** Parse a filter string into AND-ed clauses; an empty filter matches everything. */
export function parseFilter(filter: string | undefined): FilterClause[] {
  if (!filter || filter.trim() === "") return [];
  const tokens = tokenize(filter);
  const clauses: FilterClause[] = [];
  const searchable = new Set([...NUMERIC_ATTRIBUTES, ...STRING_ATTRIBUTES]);
  let i = 0;
  while (i < tokens.length) {
    const identToken = tokens[i];
    if (identToken.kind !== "ident") fail(filter, `expected an identifier such as metrics.loss, found '${describe(identToken)}'`);
    const { type, key: rawKey } = parseIdentifier(identToken.text, filter, searchable);
    const key = translateAlias(rawKey);
    i++;
    let comparator: string;
    const t = tokens[i];
    if (!t) fail(filter, `clause on '${identToken.text}' has no comparison`);
    if (t.kind === "op") comparator = t.text;
    else if (t.kind === "word" && (t.text === "LIKE" || t.text === "ILIKE" || t.text === "IN")) comparator = t.text;
    else if (t.kind === "word" && t.text === "NOT" && tokens[i + 1]?.kind === "word" && (tokens[i + 1] as { text: string }).text === "IN") {
      comparator = "NOT IN";
      i++;
    } else if (t.kind === "word" && t.text === "IS") {
      const next = tokens[i + 1];
      const after = tokens[i + 2];
      if (next?.kind === "word" && next.text === "NULL") {
        comparator = "IS NULL";
        i++;
      } else if (next?.kind === "word" && next.text === "NOT" && after?.kind === "word" && after.text === "NULL") {
        comparator = "IS NOT NULL";
        i += 2;
      } else fail(filter, "expected IS NULL or IS NOT NULL");
    } else fail(filter, `expected a comparison after '${identToken.text}', found '${describe(t)}'`);
    i++;
    let value: FilterClause["value"] = null;
    if (comparator !== "IS NULL" && comparator !== "IS NOT NULL") {
      const v = tokens[i];
      if (!v) fail(filter, `clause on '${identToken.text}' has no value`);
      value = clauseValue(type, key, v, filter);
      i++;
    }
    checkComparator(type, key, comparator, value, filter);
    clauses.push({ type, key, comparator, value });
    const joiner = tokens[i];
    if (joiner === undefined) break;
    if (joiner.kind === "word" && joiner.text === "AND") {
      i++;
      if (i >= tokens.length) fail(filter, "dangling AND at the end");
      continue;
    }
    if (joiner.kind === "word" && joiner.text === "OR") fail(filter, "OR is not supported; clauses can only be joined by AND");
    fail(filter, `expected AND between clauses, found '${describe(joiner)}'`);
  }
  return clauses;
}

function describe(token: Token): string {
  return token.kind === "list" ? `(${token.items.join(", ")})` : token.text;
}

function clauseValue(type: EntityType, key: string, token: Token, filter: string): FilterClause["value"] {
  if (type === "metric" || (type === "attribute" && (key === "start_time" || key === "end_time"))) {
    if (token.kind !== "number") fail(filter, `expected a number for ${type} '${key}', found '${describe(token)}'`);
    return Number(token.text);
  }
  if (token.kind === "string") return token.text;
  if (token.kind === "list") {
    if (type !== "attribute" || key !== "run_id") fail(filter, "only run_id supports comparison with a list of quoted strings");
    return token.items;
  }
  fail(filter, `expected a quoted string value for ${type} '${key}' (e.g. 'my-value'), found '${describe(token)}'`);
}

function checkComparator(type: EntityType, key: string, comparator: string, value: FilterClause["value"], filter: string): void {
  let allowed: Set<string>;
  if (type === "metric") allowed = METRIC_COMPARATORS;
  else if (type === "param" || type === "tag") allowed = STRING_COMPARATORS;
  else if (key === "start_time" || key === "end_time") allowed = METRIC_COMPARATORS;
  else allowed = STRING_ATTRIBUTE_COMPARATORS;
  if (!allowed.has(comparator)) fail(filter, `invalid comparator '${comparator}' for ${type} '${key}'; allowed: ${[...allowed].join(", ")}`);
  if ((comparator === "IN" || comparator === "NOT IN") && !Array.isArray(value)) fail(filter, `${comparator} needs a list such as ('a', 'b')`);
}

function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  // Same conversion as MLflow: % matches any run, _ any one character, anchored unless % at the end.
  let body = "";
  for (const ch of pattern) {
    if (ch === "%") body += ".*";
    else if (ch === "_") body += ".";
    else body += ch.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  }
  const anchoredEnd = pattern.endsWith("%") ? "" : "$";
  return new RegExp("^" + body + anchoredEnd, caseInsensitive ? "i" : "");
}

/** What a clause needs from a run: an accessor the store implements lazily. */
export interface RunValueSource {
  info: RunInfo;
  metric(key: string): number | undefined;
  param(key: string): string | undefined;
  tag(key: string): string | undefined;
}

function attributeValue(info: RunInfo, key: string): string | number | null {
  switch (key) {
    case "run_id":
      return info.runId;
    case "run_name":
      return info.runName;
    case "status":
      return info.status;
    case "user_id":
      return info.userId;
    case "artifact_uri":
      return info.artifactUri;
    case "start_time":
      return info.startTime;
    case "end_time":
      return info.endTime;
    case "experiment_id":
      return info.experimentId;
    default:
      return null;
  }
}

/** Whether a run satisfies one clause, with MLflow's semantics for missing values. */
export function clauseMatches(run: RunValueSource, clause: FilterClause, compiled?: RegExp): boolean {
  let lhs: string | number | null | undefined;
  if (clause.type === "metric") lhs = run.metric(clause.key);
  else if (clause.type === "param") lhs = run.param(clause.key);
  else if (clause.type === "tag") lhs = run.tag(clause.key);
  else lhs = attributeValue(run.info, clause.key);
  if (clause.comparator === "IS NULL") return lhs === undefined || lhs === null;
  if (clause.comparator === "IS NOT NULL") return lhs !== undefined && lhs !== null;
  if (lhs === undefined || lhs === null) return false;
  const value = clause.value;
  switch (clause.comparator) {
    case "=":
      return lhs === value;
    case "!=":
      return lhs !== value;
    case ">":
      return (lhs as number) > (value as number);
    case ">=":
      return (lhs as number) >= (value as number);
    case "<":
      return (lhs as number) < (value as number);
    case "<=":
      return (lhs as number) <= (value as number);
    case "LIKE":
    case "ILIKE":
      return (compiled ?? likeToRegExp(value as string, clause.comparator === "ILIKE")).test(String(lhs));
    case "IN":
      return (value as string[]).includes(String(lhs));
    case "NOT IN":
      return !(value as string[]).includes(String(lhs));
    default:
      return false;
  }
}

/** Compile a filter into one predicate (LIKE patterns compiled once). */
export function compileFilter(filter: string | undefined): (run: RunValueSource) => boolean {
  const clauses = parseFilter(filter);
  const patterns = clauses.map((c) =>
    c.comparator === "LIKE" || c.comparator === "ILIKE" ? likeToRegExp(c.value as string, c.comparator === "ILIKE") : undefined,
  );
  return (run) => {
    for (let i = 0; i < clauses.length; i++) if (!clauseMatches(run, clauses[i], patterns[i])) return false;
    return true;
  };
}

/** Parse one order_by clause such as "metrics.rmse DESC" or "start_time". */
export function parseOrderBy(clause: string): OrderClause {
  const trimmed = clause.trim();
  const match = /^(.*?)(?:\s+(asc|desc))?$/is.exec(trimmed);
  const body = (match?.[1] ?? "").trim();
  if (body === "") throw new TrackingError(`invalid order_by clause '${clause}'`);
  const tokens = tokenize(body);
  if (tokens.length !== 1 || tokens[0].kind !== "ident") throw new TrackingError(`invalid order_by clause '${clause}': could not be parsed`);
  const allowed = new Set([...NUMERIC_ATTRIBUTES, ...STRING_ATTRIBUTES, "experiment_id"]);
  let parsed: { type: EntityType; key: string };
  try {
    parsed = parseIdentifier(tokens[0].text, clause, allowed);
  } catch (error) {
    throw new TrackingError(`invalid order_by clause '${clause}'`, { cause: error });
  }
  return { type: parsed.type, key: translateAlias(parsed.key), ascending: (match?.[2] ?? "asc").toLowerCase() === "asc" };
}

/** The value a run sorts by for an order clause; undefined or NaN sort last. */
export function orderValue(run: RunValueSource, order: OrderClause): string | number | undefined {
  let v: string | number | null | undefined;
  if (order.type === "metric") v = run.metric(order.key);
  else if (order.type === "param") v = run.param(order.key);
  else if (order.type === "tag") v = run.tag(order.key);
  else v = attributeValue(run.info, order.key);
  return v === null ? undefined : v;
}

/**
 * Sort runs as MLflow does: start_time descending then run_id, then each order clause applied
 * from last to first with a stable sort, missing and NaN values always last.
 */
export function sortRuns<T extends RunValueSource>(runs: T[], orderBy: readonly string[] | undefined): T[] {
  const sorted = [...runs].sort((a, b) => b.info.startTime - a.info.startTime || compareStrings(a.info.runId, b.info.runId));
  const clauses = (orderBy ?? []).map(parseOrderBy);
  for (let c = clauses.length - 1; c >= 0; c--) {
    const order = clauses[c];
    const keyed = sorted.map((run) => ({ run, value: orderValue(run, order) }));
    keyed.sort((x, y) => {
      const xMissing = x.value === undefined || (typeof x.value === "number" && Number.isNaN(x.value));
      const yMissing = y.value === undefined || (typeof y.value === "number" && Number.isNaN(y.value));
      if (xMissing || yMissing) return xMissing === yMissing ? 0 : xMissing ? 1 : -1;
      const cmp = typeof x.value === "number" && typeof y.value === "number" ? x.value - y.value : compareStrings(String(x.value), String(y.value));
      return order.ascending ? cmp : -cmp;
    });
    for (let i = 0; i < keyed.length; i++) sorted[i] = keyed[i].run;
  }
  return sorted;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
