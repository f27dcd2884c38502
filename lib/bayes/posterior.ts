/**
 * The draws of several chains with their sampler statistics, and the diagnostics computed on them.
 */
import { DataError } from "../errors.js";
import { ebfmi, summarizeDraws, type SummaryRow } from "./diagnostics.js";
import type { ChainResult, SamplerStats } from "./nuts.js";
import { ParamLayout, type ParamSpecs } from "./params.js";

/** Sampler health across chains, for loud reporting. */
export interface SamplerHealth {
  /** Divergent transitions after warmup, per chain. */
  divergences: number[];
  /** Draws that hit the maximum tree depth, per chain. */
  treeDepthHits: number[];
  /** E-BFMI per chain (below 0.3 suggests poor exploration). */
  ebfmi: number[];
  /** Final step size per chain. */
  stepSize: number[];
  /** Largest R-hat and smallest bulk / tail ESS over all parameters. */
  maxRhat: number;
  minEssBulk: number;
  minEssTail: number;
  /** Human-readable warnings: divergences, R-hat >= 1.01, ESS < 400, E-BFMI < 0.3, tree depth hits. */
  warnings: string[];
}

const STAT_KEYS = ["stepSize", "treeDepth", "nLeapfrog", "divergent", "energy", "acceptStat", "lp"] as const;

/** Serialized posterior (schema version 1). */
export interface PosteriorJSON {
  kind: "bayes.posterior";
  version: 1;
  params: ParamSpecs;
  maxTreeDepth: number;
  chains: {
    chain: number;
    draws: number[];
    stats: Record<(typeof STAT_KEYS)[number], number[]>;
    stepSize: number;
    invMetric: number[];
    warmupSeconds: number;
    samplingSeconds: number;
  }[];
}

/** Posterior draws of all chains, addressed by flat names ("mu", "theta[3]") or parameter names. */
export class Posterior {
  readonly layout: ParamLayout;
  readonly chains: readonly ChainResult[];
  readonly nChains: number;
  readonly nDraws: number;
  readonly maxTreeDepth: number;
  private readonly specs: ParamSpecs;

  constructor(specs: ParamSpecs, chains: readonly ChainResult[], maxTreeDepth: number) {
    this.specs = specs;
    this.layout = new ParamLayout(specs);
    this.chains = chains;
    this.nChains = chains.length;
    this.nDraws = chains.length > 0 ? chains[0].stats.lp.length : 0;
    this.maxTreeDepth = maxTreeDepth;
  }

  /** Flat names of every constrained scalar. */
  get names(): readonly string[] {
    return this.layout.flatNames;
  }

  /** Draws of one flat scalar ("mu" or "theta[3]"), one array per chain. */
  draws(name: string): Float64Array[] {
    const j = this.layout.flatNames.indexOf(name);
    if (j < 0) throw new DataError(`unknown quantity "${name}"; known: ${this.layout.flatNames.join(", ")}`);
    return this.column(j);
  }

  /** Draws of the constrained scalar at flat index j, one array per chain. */
  column(j: number): Float64Array[] {
    const dim = this.layout.constrainedDim;
    return this.chains.map((c) => {
      const out = new Float64Array(this.nDraws);
      for (let d = 0; d < this.nDraws; d++) out[d] = c.draws[d * dim + j];
      return out;
    });
  }

  /** A derived scalar computed from each draw's constrained vector, one array per chain. */
  derive(f: (x: Float64Array) => number): Float64Array[] {
    const dim = this.layout.constrainedDim;
    return this.chains.map((c) => {
      const out = new Float64Array(this.nDraws);
      for (let d = 0; d < this.nDraws; d++) out[d] = f(c.draws.subarray(d * dim, (d + 1) * dim));
      return out;
    });
  }

  /** One sampler statistic, one array per chain. */
  stat(key: keyof SamplerStats): Float64Array[] {
    return this.chains.map((c) => c.stats[key]);
  }

  /** The az.summary table for every scalar (or the given flat names). */
  summary(options: { names?: readonly string[]; hdiProb?: number } = {}): SummaryRow[] {
    const names = options.names ?? this.layout.flatNames;
    return names.map((n) => summarizeDraws(n, this.draws(n), options.hdiProb ?? 0.94));
  }

  /** Divergences, tree-depth hits, E-BFMI, worst R-hat and ESS, with warnings worded for a run log. */
  health(rows?: readonly SummaryRow[]): SamplerHealth {
    const summary = rows ?? this.summary();
    const divergences = this.chains.map((c) => c.stats.divergent.reduce((a, b) => a + b, 0));
    const treeDepthHits = this.chains.map((c) => c.stats.treeDepth.reduce((a, b) => a + (b >= this.maxTreeDepth ? 1 : 0), 0));
    const bfmi = this.chains.map((c) => ebfmi(c.stats.energy));
    let maxRhat = -Infinity;
    let minEssBulk = Infinity;
    let minEssTail = Infinity;
    const warnings: string[] = [];
    for (const r of summary) {
      if (r.rHat > maxRhat || Number.isNaN(r.rHat)) maxRhat = r.rHat;
      if (r.essBulk < minEssBulk) minEssBulk = r.essBulk;
      if (r.essTail < minEssTail) minEssTail = r.essTail;
      if (r.rHat >= 1.01) warnings.push(`${r.name}: r_hat ${r.rHat.toFixed(3)} >= 1.01`);
      if (r.essBulk < 400) warnings.push(`${r.name}: ess_bulk ${r.essBulk.toFixed(0)} < 400`);
      if (r.essTail < 400) warnings.push(`${r.name}: ess_tail ${r.essTail.toFixed(0)} < 400`);
    }
    const totalDiv = divergences.reduce((a, b) => a + b, 0);
    if (totalDiv > 0) warnings.push(`${totalDiv} divergent transitions after warmup (per chain: ${divergences.join(", ")})`);
    bfmi.forEach((b, c) => {
      if (b < 0.3) warnings.push(`chain ${c}: E-BFMI ${b.toFixed(3)} < 0.3`);
    });
    const hits = treeDepthHits.reduce((a, b) => a + b, 0);
    if (hits > 0) warnings.push(`${hits} draws hit the maximum tree depth ${this.maxTreeDepth}`);
    return {
      divergences,
      treeDepthHits,
      ebfmi: bfmi,
      stepSize: this.chains.map((c) => c.stepSize),
      maxRhat,
      minEssBulk,
      minEssTail,
      warnings,
    };
  }

  /** Plain-JSON form (kind "bayes.posterior", version 1). */
  toJSON(): PosteriorJSON {
    return {
      kind: "bayes.posterior",
      version: 1,
      params: this.specs,
      maxTreeDepth: this.maxTreeDepth,
      chains: this.chains.map((c) => ({
        chain: c.chain,
        draws: Array.from(c.draws),
        stats: Object.fromEntries(STAT_KEYS.map((k) => [k, Array.from(c.stats[k])])) as Record<(typeof STAT_KEYS)[number], number[]>,
        stepSize: c.stepSize,
        invMetric: Array.from(c.invMetric),
        warmupSeconds: c.warmupSeconds,
        samplingSeconds: c.samplingSeconds,
      })),
    };
  }

  /** Load a posterior saved by `toJSON`. */
  static fromJSON(json: PosteriorJSON): Posterior {
    if (json.kind !== "bayes.posterior" || json.version !== 1) {
      throw new DataError(`not a bayes.posterior version 1 document (kind ${String(json.kind)}, version ${String(json.version)})`);
    }
    const chains: ChainResult[] = json.chains.map((c) => ({
      chain: c.chain,
      draws: Float64Array.from(c.draws),
      stats: Object.fromEntries(STAT_KEYS.map((k) => [k, Float64Array.from(c.stats[k])])) as unknown as SamplerStats,
      warmupDraws: null,
      warmupStats: null,
      stepSize: c.stepSize,
      invMetric: Float64Array.from(c.invMetric),
      init: new Float64Array(0),
      warmupSeconds: c.warmupSeconds,
      samplingSeconds: c.samplingSeconds,
    }));
    return new Posterior(json.params, chains, json.maxTreeDepth);
  }
}
