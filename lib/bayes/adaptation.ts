/**
 * Warmup adaptation as Stan does it: dual averaging of the step size (Hoffman & Gelman 2014,
 * section 3.2) and a diagonal metric estimated in windows (an initial fast buffer, slow windows
 * that double, a terminal fast buffer).
 */

/** Nesterov dual averaging of log step size towards a target acceptance statistic. */
export class DualAveraging {
  private counter = 0;
  private sBar = 0;
  private xBar = 0;
  mu = 0;

  constructor(
    readonly delta: number,
    readonly gamma: number,
    readonly t0: number,
    readonly kappa: number,
  ) {}

  /** Forget the running averages (after a metric update). */
  restart(): void {
    this.counter = 0;
    this.sBar = 0;
    this.xBar = 0;
  }

  /** One update from an acceptance statistic; returns the next step size. */
  learn(acceptStat: number): number {
    this.counter++;
    const a = acceptStat > 1 ? 1 : acceptStat;
    const eta = 1 / (this.counter + this.t0);
    this.sBar = (1 - eta) * this.sBar + eta * (this.delta - a);
    const x = this.mu - (this.sBar * Math.sqrt(this.counter)) / this.gamma;
    const xEta = Math.pow(this.counter, -this.kappa);
    this.xBar = (1 - xEta) * this.xBar + xEta * x;
    return Math.exp(x);
  }

  /** The step size to sample with once warmup ends. */
  final(): number {
    return Math.exp(this.xBar);
  }
}

/** Stan's windowed metric adaptation (diagonal or dense) with Welford estimates and regularization. */
export class WindowedVariance {
  private counter = 0;
  private windowSize: number;
  private nextWindow: number;
  private readonly initBuffer: number;
  private readonly termBuffer: number;
  private readonly baseWindow: number;
  private readonly active: boolean;
  private n = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(
    readonly dim: number,
    readonly warmup: number,
    initBuffer: number,
    termBuffer: number,
    baseWindow: number,
    readonly dense = false,
  ) {
    // Stan: fewer than 20 warmup iterations adapt only the step size.
    this.active = warmup >= 20;
    if (initBuffer + baseWindow + termBuffer > warmup) {
      this.initBuffer = Math.trunc(0.15 * warmup);
      this.termBuffer = Math.trunc(0.1 * warmup);
      this.baseWindow = warmup - (this.initBuffer + this.termBuffer);
    } else {
      this.initBuffer = initBuffer;
      this.termBuffer = termBuffer;
      this.baseWindow = baseWindow;
    }
    this.windowSize = this.baseWindow;
    this.nextWindow = this.initBuffer + this.windowSize - 1;
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dense ? dim * dim : dim);
    this.delta = new Float64Array(dim);
  }

  private readonly delta: Float64Array;

  private inWindow(): boolean {
    return this.counter >= this.initBuffer && this.counter < this.warmup - this.termBuffer && this.counter !== this.warmup;
  }

  private endOfWindow(): boolean {
    return this.counter === this.nextWindow && this.counter !== this.warmup;
  }

  private computeNextWindow(): void {
    const last = this.warmup - this.termBuffer - 1;
    if (this.nextWindow === last) return;
    this.windowSize *= 2;
    this.nextWindow = this.counter + this.windowSize;
    if (this.nextWindow !== last) {
      const boundary = this.nextWindow + 2 * this.windowSize;
      if (boundary >= this.warmup - this.termBuffer) this.nextWindow = last;
    }
  }

  /** Feed the position after a warmup transition; writes a new inverse metric (diagonal or row-major dense) and returns true at a window's end. */
  learn(q: Float64Array, invMetric: Float64Array): boolean {
    if (!this.active) return false;
    const d = this.dim;
    if (this.inWindow()) {
      this.n++;
      const n = this.n;
      if (!this.dense) {
        for (let i = 0; i < d; i++) {
          const dl = q[i] - this.mean[i];
          this.mean[i] += dl / n;
          this.m2[i] += dl * (q[i] - this.mean[i]);
        }
      } else {
        // Welford for covariance: m2 += (q - mean_old)(q - mean_new)^T.
        const delta = this.delta;
        for (let i = 0; i < d; i++) {
          delta[i] = q[i] - this.mean[i];
          this.mean[i] += delta[i] / n;
        }
        for (let i = 0; i < d; i++) {
          const di = q[i] - this.mean[i];
          for (let j = 0; j < d; j++) this.m2[i * d + j] += delta[j] * di;
        }
      }
    }
    if (this.endOfWindow()) {
      this.computeNextWindow();
      const n = this.n;
      const shrink = n / (n + 5);
      const ridge = 1e-3 * (5 / (n + 5));
      if (!this.dense) {
        for (let i = 0; i < d; i++) invMetric[i] = shrink * (this.m2[i] / (n - 1)) + ridge;
      } else {
        for (let k = 0; k < d * d; k++) invMetric[k] = shrink * (this.m2[k] / (n - 1));
        for (let i = 0; i < d; i++) invMetric[i * d + i] += ridge;
      }
      this.n = 0;
      this.mean.fill(0);
      this.m2.fill(0);
      this.counter++;
      return true;
    }
    this.counter++;
    return false;
  }
}
