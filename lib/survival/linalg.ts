/**
 * Small dense linear algebra for d x d information matrices (d = number of parameters), stored
 * row-major in Float64Array. Cholesky is enough: every matrix here is a (negated) Hessian of a
 * concave log-likelihood, and a failed factorisation is itself the signal that it is not.
 */

/** Cholesky factor L (lower, row-major) of a symmetric positive-definite matrix, or null if it is not positive definite. */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] * l[j * d + k];
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** Solve (L L^T) x = b given the Cholesky factor L. */
export function choleskySolve(l: Float64Array, d: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

/** Inverse of a symmetric positive-definite matrix from its Cholesky factor. */
export function choleskyInverse(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, d, e);
    for (let i = 0; i < d; i++) inv[i * d + j] = col[i];
  }
  // Symmetrise: the two triangles differ only by rounding.
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const m = 0.5 * (inv[i * d + j] + inv[j * d + i]);
      inv[i * d + j] = m;
      inv[j * d + i] = m;
    }
  }
  return inv;
}

/** Inverse of a symmetric positive-definite matrix, or null when it is not positive definite. */
export function spdInverse(a: Float64Array, d: number): Float64Array | null {
  const l = cholesky(a, d);
  return l ? choleskyInverse(l, d) : null;
}

/** Moore-Penrose pseudo-inverse of a symmetric matrix via Jacobi eigen-decomposition (for singular covariances). */
export function symmetricPseudoInverse(a: Float64Array, d: number): Float64Array {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] * m[p * d + q];
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q];
        if (apq === 0) continue;
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const mkp = m[k * d + p];
          const mkq = m[k * d + q];
          m[k * d + p] = c * mkp - s * mkq;
          m[k * d + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < d; k++) {
          const mpk = m[p * d + k];
          const mqk = m[q * d + k];
          m[p * d + k] = c * mpk - s * mqk;
          m[q * d + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let maxEig = 0;
  for (let i = 0; i < d; i++) maxEig = Math.max(maxEig, Math.abs(m[i * d + i]));
  // Same cutoff rule as numpy.linalg.pinv (rcond = 1e-15 relative to the largest eigenvalue).
  const cutoff = 1e-15 * maxEig;
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const ev = m[k * d + k];
    if (Math.abs(ev) <= cutoff) continue;
    const inv = 1 / ev;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] += v[i * d + k] * inv * v[j * d + k];
  }
  return out;
}
