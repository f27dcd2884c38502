/**
 * Histogram kernels, the hot loop of gradient boosting: for each feature, sum the leaf's
 * gradients, hessians and counts by bin code. Gradients and hessians are gathered once into leaf
 * order and interleaved ("ordered gradients", as LightGBM does), and four features are filled per
 * pass over the rows so each row's index and gradient pair is loaded once for four updates.
 */

// A local copy of splitFinder's HIST_STRIDE: an imported binding can cost a getter call per use
// under CommonJS-transpiling loaders (tsx), which dominated this loop.
const HIST_STRIDE = 3;

/** Gather gradient/hessian pairs of rows[begin, begin+count) into leaf order: gh[2k], gh[2k+1]. */
export function gatherGradients(grad: Float64Array, hess: Float64Array, rows: Uint32Array, begin: number, count: number, gh: Float64Array): void {
  for (let k = 0; k < count; k++) {
    const r = rows[begin + k];
    gh[2 * k] = grad[r];
    gh[2 * k + 1] = hess[r];
  }
}

/**
 * Add the histograms of `features` over rows[begin, begin+count), with leaf-ordered gradient
 * pairs `gh`; `bins` is column-major (feature f, row r at f * n + r) and `binOffset[f]` is the
 * index of feature f's bin 0 in the histogram, in units of bins. `rows === null` means rows
 * begin..begin+count-1 in order, with `gh` indexed by row.
 */
export function buildHistograms(
  bins: Uint8Array,
  n: number,
  features: Int32Array,
  binOffset: Int32Array,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
): void {
  const nf = features.length;
  let i = 0;
  for (; i + 3 < nf; i += 4) {
    const f0 = features[i];
    const f1 = features[i + 1];
    const f2 = features[i + 2];
    const f3 = features[i + 3];
    if (rows === null) {
      histogram4Seq(bins, f0 * n + begin, f1 * n + begin, f2 * n + begin, f3 * n + begin, count, gh, begin, hist,
        binOffset[f0] * HIST_STRIDE, binOffset[f1] * HIST_STRIDE, binOffset[f2] * HIST_STRIDE, binOffset[f3] * HIST_STRIDE);
    } else {
      histogram4(bins, f0 * n, f1 * n, f2 * n, f3 * n, rows, begin, count, gh, hist,
        binOffset[f0] * HIST_STRIDE, binOffset[f1] * HIST_STRIDE, binOffset[f2] * HIST_STRIDE, binOffset[f3] * HIST_STRIDE);
    }
  }
  for (; i < nf; i++) {
    const f = features[i];
    histogram1(bins, f * n, rows, begin, count, gh, hist, binOffset[f] * HIST_STRIDE);
  }
}

function histogram4(
  bins: Uint8Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  rows: Uint32Array,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
): void {
  for (let k = 0; k < count; k++) {
    const r = rows[begin + k];
    const g = gh[2 * k];
    const h = gh[2 * k + 1];
    const j0 = h0 + bins[c0 + r] * HIST_STRIDE;
    const j1 = h1 + bins[c1 + r] * HIST_STRIDE;
    const j2 = h2 + bins[c2 + r] * HIST_STRIDE;
    const j3 = h3 + bins[c3 + r] * HIST_STRIDE;
    hist[j0] += g;
    hist[j0 + 1] += h;
    hist[j0 + 2] += 1;
    hist[j1] += g;
    hist[j1 + 1] += h;
    hist[j1 + 2] += 1;
    hist[j2] += g;
    hist[j2 + 1] += h;
    hist[j2 + 2] += 1;
    hist[j3] += g;
    hist[j3 + 1] += h;
    hist[j3 + 2] += 1;
  }
}

function histogram4Seq(
  bins: Uint8Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  count: number,
  gh: Float64Array,
  ghBegin: number,
  hist: Float64Array,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
): void {
  for (let k = 0; k < count; k++) {
    const g = gh[2 * (ghBegin + k)];
    const h = gh[2 * (ghBegin + k) + 1];
    const j0 = h0 + bins[c0 + k] * HIST_STRIDE;
    const j1 = h1 + bins[c1 + k] * HIST_STRIDE;
    const j2 = h2 + bins[c2 + k] * HIST_STRIDE;
    const j3 = h3 + bins[c3 + k] * HIST_STRIDE;
    hist[j0] += g;
    hist[j0 + 1] += h;
    hist[j0 + 2] += 1;
    hist[j1] += g;
    hist[j1 + 1] += h;
    hist[j1 + 2] += 1;
    hist[j2] += g;
    hist[j2 + 1] += h;
    hist[j2 + 2] += 1;
    hist[j3] += g;
    hist[j3 + 1] += h;
    hist[j3 + 2] += 1;
  }
}

function histogram1(
  bins: Uint8Array,
  c: number,
  rows: Uint32Array | null,
  begin: number,
  count: number,
  gh: Float64Array,
  hist: Float64Array,
  h0: number,
): void {
  if (rows === null) {
    for (let k = 0; k < count; k++) {
      const j = h0 + bins[c + begin + k] * HIST_STRIDE;
      hist[j] += gh[2 * (begin + k)];
      hist[j + 1] += gh[2 * (begin + k) + 1];
      hist[j + 2] += 1;
    }
    return;
  }
  for (let k = 0; k < count; k++) {
    const j = h0 + bins[c + rows[begin + k]] * HIST_STRIDE;
    hist[j] += gh[2 * k];
    hist[j + 1] += gh[2 * k + 1];
    hist[j + 2] += 1;
  }
}

/** parent -= child over the bins [from, to) (in units of bins): the subtraction trick. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, from: number, to: number): void {
  for (let j = from * HIST_STRIDE, end = to * HIST_STRIDE; j < end; j++) parent[j] -= child[j];
}
