/**
 * Showing figures in a notebook: inside a tslab kernel (Jupyter, or the workbench's headless
 * runner, both built on tslab's executor) a figure is sent as `image/svg+xml` display data.
 */
import type { Figure } from "./render.js";

interface TslabDisplay {
  svg(s: string): void;
  html(s: string): void;
  png(b: Uint8Array): void;
}

/** The display API of the running tslab kernel, or undefined outside one. */
export function tslabDisplay(): TslabDisplay | undefined {
  // tslab's executor publishes its hooked `require` (which resolves "tslab" to the running kernel's
  // module) as globalThis.__tslab__; a static import would load a second, unconnected copy.
  const hook = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (!hook || typeof hook.require !== "function") return undefined;
  try {
    const tslab = hook.require("tslab") as { display?: TslabDisplay };
    return tslab.display;
  } catch {
    return undefined;
  }
}

/**
 * Display a figure inline when running in a tslab kernel (nothing happens elsewhere). Returns
 * nothing, so a trailing `show(fig)` does not print a value under the cell.
 */
export function show(figure: Figure): void {
  tslabDisplay()?.svg(figure.svg);
}

/** Display HTML (tables, notes) inline when running in a tslab kernel. */
export function showHtml(html: string): void {
  tslabDisplay()?.html(html);
}
