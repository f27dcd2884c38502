/**
 * Notebook parameters in the manner of papermill: the first code cell tagged `parameters` declares
 * defaults as literals (`let seed = 42;`); the runner parses them, types `-p key=value` overrides by
 * the declared defaults, and injects an `injected-parameters` cell right after with the overrides.
 */
import { UsageError } from "../errors.js";
import { sourceText, type Cell, type CodeCell, type Notebook } from "./nbformat.js";

/** A parameter value: what a TypeScript literal in the parameters cell can hold. */
export type ParameterValue = number | string | boolean;

/** One declared parameter. */
export interface DeclaredParameter {
  name: string;
  keyword: "let" | "const" | "var";
  type: "number" | "string" | "boolean";
  value: ParameterValue;
}

/** The tag that marks the parameters cell, and the tag of the cell the runner injects. */
export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

function tagsOf(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** Index of the first code cell tagged `parameters`, or -1. */
export function findParametersCell(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && tagsOf(c).includes(PARAMETERS_TAG));
}

function parseLiteral(text: string): { type: DeclaredParameter["type"]; value: ParameterValue } | undefined {
  const t = text.trim();
  if (/^[-+]?(\d[\d_]*\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?)$/i.test(t)) return { type: "number", value: Number(t.replace(/_/g, "")) };
  if (t === "true" || t === "false") return { type: "boolean", value: t === "true" };
  const quoted = /^(["'])((?:\\.|(?!\1).)*)\1$/.exec(t);
  if (quoted) {
    const body = quoted[2];
    // JSON understands the common escapes once the quotes are double quotes.
    try {
      return { type: "string", value: JSON.parse(`"${body.replace(/\\'/g, "'").replace(/"/g, '\\"').replace(/\\\\"/g, '\\"')}"`) as string };
    } catch {
      return { type: "string", value: body };
    }
  }
  return undefined;
}

/**
 * The parameters a cell declares: one `let|const|var name[: type] = literal;` per line (comments
 * allowed); a declaration whose value is not a number, string or boolean literal is an error.
 */
export function parseParameterCell(source: string, where = "parameters cell"): DeclaredParameter[] {
  const out: DeclaredParameter[] = [];
  const lines = source.split("\n");
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "").trim();
    if (code === "") return;
    for (const statement of code.split(";").map((s) => s.trim()).filter((s) => s !== "")) {
      const m = /^(?:export\s+)?(let|const|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*(number|string|boolean))?\s*=\s*(.+)$/.exec(statement);
      if (!m) throw new UsageError(`${where}, line ${i + 1}: expected 'let name = literal;', got '${statement}'`);
      const literal = parseLiteral(m[4]);
      if (!literal) throw new UsageError(`${where}, line ${i + 1}: the value of '${m[2]}' must be a number, string or boolean literal, got '${m[4].trim()}'`);
      if (m[3] && m[3] !== literal.type) throw new UsageError(`${where}, line ${i + 1}: '${m[2]}' is declared ${m[3]} but its default is a ${literal.type}`);
      out.push({ name: m[2], keyword: m[1] as DeclaredParameter["keyword"], type: literal.type, value: literal.value });
    }
  });
  return out;
}

/** Split `key=value` command-line parameters (the value keeps any further `=`). */
export function parseParameterArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new UsageError(`parameter '${arg}' must have the form name=value`);
    out[arg.slice(0, eq).trim()] = arg.slice(eq + 1);
  }
  return out;
}

/** Type a raw override by its declared parameter; unknown names and bad values are usage errors. */
export function coerceParameters(declared: readonly DeclaredParameter[], raw: Record<string, string | ParameterValue>): Record<string, ParameterValue> {
  const byName = new Map(declared.map((d) => [d.name, d]));
  const out: Record<string, ParameterValue> = {};
  for (const [name, given] of Object.entries(raw)) {
    const d = byName.get(name);
    if (!d) {
      const known = declared.map((p) => p.name).join(", ");
      throw new UsageError(`unknown notebook parameter '${name}'; the parameters cell declares: ${known || "(none)"}`);
    }
    const text = String(given).trim();
    if (d.type === "number") {
      const n = typeof given === "number" ? given : Number(text);
      if (text === "" || !Number.isFinite(n)) throw new UsageError(`parameter '${name}' expects a number, got '${String(given)}'`);
      out[name] = n;
    } else if (d.type === "boolean") {
      if (typeof given === "boolean") out[name] = given;
      else if (/^(true|yes|1)$/i.test(text)) out[name] = true;
      else if (/^(false|no|0)$/i.test(text)) out[name] = false;
      else throw new UsageError(`parameter '${name}' expects true or false, got '${String(given)}'`);
    } else {
      out[name] = String(given);
    }
  }
  return out;
}

/** TypeScript source of the injected cell: the overrides, declared as in the parameters cell. */
export function injectedSource(declared: readonly DeclaredParameter[], overrides: Record<string, ParameterValue>): string {
  const lines = ["// Parameters injected by `workbench notebook run`."];
  for (const d of declared) {
    if (!(d.name in overrides)) continue;
    lines.push(`${d.keyword} ${d.name} = ${JSON.stringify(overrides[d.name])};`);
  }
  return lines.join("\n");
}

/** The notebook with its parameters resolved and the injected cell inserted after the parameters cell. */
export interface ParameterizedNotebook {
  notebook: Notebook;
  declared: DeclaredParameter[];
  /** Defaults with the overrides applied. */
  effective: Record<string, ParameterValue>;
  overrides: Record<string, ParameterValue>;
}

/** Resolve overrides against the parameters cell and insert the `injected-parameters` cell (a copy; the input is untouched). */
export function parameterize(nb: Notebook, raw: Record<string, string | ParameterValue>, where = "notebook"): ParameterizedNotebook {
  const index = findParametersCell(nb);
  const cells = nb.cells.filter((c) => !tagsOf(c).includes(INJECTED_TAG));
  const copy: Notebook = { ...nb, cells };
  if (index < 0) {
    if (Object.keys(raw).length > 0) throw new UsageError(`${where} has no code cell tagged '${PARAMETERS_TAG}', so it takes no parameters`);
    return { notebook: copy, declared: [], effective: {}, overrides: {} };
  }
  const paramIndex = findParametersCell(copy);
  const declared = parseParameterCell(sourceText(copy.cells[paramIndex].source), `${where}: parameters cell`);
  const overrides = coerceParameters(declared, raw);
  const effective: Record<string, ParameterValue> = {};
  for (const d of declared) effective[d.name] = d.name in overrides ? overrides[d.name] : d.value;
  if (Object.keys(overrides).length > 0) {
    const injected: CodeCell = {
      cell_type: "code",
      id: INJECTED_TAG,
      metadata: { tags: [INJECTED_TAG] },
      source: injectedSource(declared, overrides),
      execution_count: null,
      outputs: [],
    };
    copy.cells = [...cells.slice(0, paramIndex + 1), injected, ...cells.slice(paramIndex + 1)];
  }
  return { notebook: copy, declared, effective, overrides };
}
