/**
 * Histogram kernels, the hot loop of gradient boosting: for each feature, sum the leaf's
 * gradients and hessians by bin code (no per-bin row count: like LightGBM, split finding
 * estimates counts from hessians, which saves a third of the memory traffic). Gradients and hessians are gathered once into leaf
 * order and interleaved ("ordered gradients", as LightGBM does); bin codes come four features to
 * a 32-bit word (see BinnedData), and two words are consumed per pass over the rows, so each
 * row's index and gradient pair is loaded once for eight histogram updates.
 */
import type { BinnedData } from "./binning.js";

// A local copy of splitFinder's HIST_STRIDE: an imported binding can cost a getter call per use
// under CommonJS-transpiling loaders (tsx), which dominated this loop.
const HIST_STRIDE = 2;

/** Gather gradient/hessian pairs of rows[begin, begin+count) into leaf order: gh[2k], gh[2k+1]. */
export function gatherGradients(grad: Float64Array, hess: Float64Array, rows: Uint32Array, begin: number, count: number, gh: Float64Array): void {
  for (let k = 0; k < count; k++) {
    const r = rows[begin + k];
    gh[2 * k] = grad[r];
    gh[2 * k + 1] = hess[r];
  }
}

/**
 * Which feature groups a tree uses: groups whose four features are all active are filled four at
 * a time; features of partly active groups one at a time.
 */
export interface FeaturePlan {
  fullGroups: Int32Array;
  singles: Int32Array;
}

/** Split a sorted list of active features into full groups of four and leftovers. */
export function planFeatures(features: Int32Array, nCols: number): FeaturePlan {
  const active = new Uint8Array(nCols);
  for (let i = 0; i < features.length; i++) active[features[i]] = 1;
  const full: number[] = [];
  const singles: number[] = [];
  for (let g = 0; g * 4 < nCols; g++) {
    let all = g * 4 + 3 < nCols;
    for (let l = 0; l < 4 && g * 4 + l < nCols; l++) if (active[g * 4 + l] === 0) all = false;
    if (all) full.push(g);
    else for (let l = 0; l < 4 && g * 4 + l < nCols; l++) if (active[g * 4 + l] === 1) singles.push(g * 4 + l);
  }
  return { fullGroups: Int32Array.from(full), singles: Int32Array.from(singles) };
}

/**
 * Add the histograms of the planned features over rows[begin, begin+count), with leaf-ordered
 * gradient pairs `gh`; `binOffset[f]` is the index of feature f's bin 0 in the histogram, in
 * units of bins. `rows === null` means rows begin..begin+count-1 in order, with `gh` indexed by row.
 */
export function buildHistograms(
  data: BinnedData,
  plan: FeaturePlan,
  binOffset: Int32Array,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
): void {
  const n = data.nRows;
  const packed = data.packed;
  const groups = plan.fullGroups;
  let i = 0;
  for (; i + 1 < groups.length; i += 2) {
    const ga = groups[i];
    const gb = groups[i + 1];
    histogram8(packed, ga * n, gb * n, rows, begin, count, gh, hist, binOffset[4 * ga] * HIST_STRIDE, binOffset[4 * ga + 1] * HIST_STRIDE,
      binOffset[4 * ga + 2] * HIST_STRIDE, binOffset[4 * ga + 3] * HIST_STRIDE, binOffset[4 * gb] * HIST_STRIDE,
      binOffset[4 * gb + 1] * HIST_STRIDE, binOffset[4 * gb + 2] * HIST_STRIDE, binOffset[4 * gb + 3] * HIST_STRIDE);
  }
  if (i < groups.length) {
    const g = groups[i];
    histogram4(packed, g * n, rows, begin, count, gh, hist, binOffset[4 * g] * HIST_STRIDE, binOffset[4 * g + 1] * HIST_STRIDE,
      binOffset[4 * g + 2] * HIST_STRIDE, binOffset[4 * g + 3] * HIST_STRIDE);
  }
  for (let s = 0; s < plan.singles.length; s++) {
    const f = plan.singles[s];
    histogram1(packed, (f >>> 2) * n, (f & 3) << 3, rows, begin, count, gh, hist, binOffset[f] * HIST_STRIDE);
  }
}

function histogram8(
  packed: Uint32Array,
  ca: number,
  cb: number,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
  h4: number,
  h5: number,
  h6: number,
  h7: number,
): void {
  // With rows === null the leaf is rows begin.. in order and gh is indexed by row.
  const seq = rows === null;
  const ghOff = seq ? 2 * begin : 0;
  for (let k = 0; k < count; k++) {
    const r = seq ? begin + k : (rows as Uint32Array)[begin + k];
    const g = gh[ghOff + 2 * k];
    const h = gh[ghOff + 2 * k + 1];
    const wa = packed[ca + r];
    const wb = packed[cb + r];
    const j0 = h0 + (wa & 255) * HIST_STRIDE;
    const j1 = h1 + ((wa >>> 8) & 255) * HIST_STRIDE;
    const j2 = h2 + ((wa >>> 16) & 255) * HIST_STRIDE;
    const j3 = h3 + (wa >>> 24) * HIST_STRIDE;
    const j4 = h4 + (wb & 255) * HIST_STRIDE;
    const j5 = h5 + ((wb >>> 8) & 255) * HIST_STRIDE;
    const j6 = h6 + ((wb >>> 16) & 255) * HIST_STRIDE;
    const j7 = h7 + (wb >>> 24) * HIST_STRIDE;
    hist[j0] += g;
    hist[j0 + 1] += h;
    hist[j1] += g;
    hist[j1 + 1] += h;
    hist[j2] += g;
    hist[j2 + 1] += h;
    hist[j3] += g;
    hist[j3 + 1] += h;
    hist[j4] += g;
    hist[j4 + 1] += h;
    hist[j5] += g;
    hist[j5 + 1] += h;
    hist[j6] += g;
    hist[j6 + 1] += h;
    hist[j7] += g;
    hist[j7 + 1] += h;
  }
}

function histogram4(
  packed: Uint32Array,
  c: number,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
): void {
  const seq = rows === null;
  const ghOff = seq ? 2 * begin : 0;
  for (let k = 0; k < count; k++) {
    const r = seq ? begin + k : (rows as Uint32Array)[begin + k];
    const g = gh[ghOff + 2 * k];
    const h = gh[ghOff + 2 * k + 1];
    const w = packed[c + r];
    const j0 = h0 + (w & 255) * HIST_STRIDE;
    const j1 = h1 + ((w >>> 8) & 255) * HIST_STRIDE;
    const j2 = h2 + ((w >>> 16) & 255) * HIST_STRIDE;
    const j3 = h3 + (w >>> 24) * HIST_STRIDE;
    hist[j0] += g;
    hist[j0 + 1] += h;
    hist[j1] += g;
    hist[j1 + 1] += h;
    hist[j2] += g;
    hist[j2 + 1] += h;
    hist[j3] += g;
    hist[j3 + 1] += h;
  }
}

function histogram1(
  packed: Uint32Array,
  c: number,
  shift: number,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
  h0: number,
): void {
  const seq = rows === null;
  const ghOff = seq ? 2 * begin : 0;
  for (let k = 0; k < count; k++) {
    const r = seq ? begin + k : (rows as Uint32Array)[begin + k];
    const j = h0 + ((packed[c + r] >>> shift) & 255) * HIST_STRIDE;
    hist[j] += gh[ghOff + 2 * k];
    hist[j + 1] += gh[ghOff + 2 * k + 1];
  }
}

/** parent -= child over the bins [from, to) (in units of bins): the subtraction trick. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, from: number, to: number): void {
  for (let j = from * HIST_STRIDE, end = to * HIST_STRIDE; j < end; j++) parent[j] -= child[j];
}
