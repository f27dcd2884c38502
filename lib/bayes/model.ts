/**
 * A model is a log density over named, constrained parameters. `defineModel` turns a function
 * written against the autodiff tape into the unconstrained log density + gradient a sampler needs;
 * built-in models may implement `LogDensityModel` directly with a hand-written gradient.
 */
import { Tape, type Node } from "./autodiff.js";
import { ParamLayout, type ParamSpecs } from "./params.js";

/**
 * How a worker thread rebuilds a model: `module` is a file path or URL that exports
 * `exportName(args)` returning the model. `args` must survive structured cloning.
 */
export interface WorkerModelSpec {
  readonly module: string;
  readonly exportName: string;
  readonly args: unknown;
}

/** What a sampler needs: the unconstrained log density (with log-Jacobian) and its gradient. */
export interface LogDensityModel {
  /** Parameter layout (names, constraints, sizes). */
  readonly layout: ParamLayout;
  /** Writes the gradient into `grad` and returns the log density; -Infinity outside the support. */
  logDensityGradient(u: Float64Array, grad: Float64Array): number;
  /** Present when the model can be rebuilt inside a worker thread. */
  readonly workerSpec?: WorkerModelSpec;
}

/** The named parameter nodes a model function receives. */
export type ParamNodes<P extends ParamSpecs> = { readonly [K in keyof P]: Node };

/** A model written as a function of named parameter nodes on a tape. */
export interface ModelDefinition<P extends ParamSpecs> {
  readonly params: P;
  /** The log density (up to a constant) as a scalar node; the log-Jacobian is added for you. */
  logDensity(t: Tape, p: ParamNodes<P>): Node;
  /** Optional: lets `sample` run chains on worker threads. */
  readonly workerSpec?: WorkerModelSpec;
}

/** A model built by `defineModel`, evaluated through the autodiff tape. */
export class TapeModel<P extends ParamSpecs> implements LogDensityModel {
  readonly layout: ParamLayout;
  readonly workerSpec?: WorkerModelSpec;
  /** The tape, reused by every evaluation. */
  readonly tape = new Tape();
  private readonly def: ModelDefinition<P>;
  private readonly x: Float64Array;
  private readonly gx: Float64Array;
  private nodes: ParamNodes<P> | null = null;
  private readonly leafOffsets: Int32Array;

  constructor(def: ModelDefinition<P>) {
    this.def = def;
    this.layout = new ParamLayout(def.params);
    this.workerSpec = def.workerSpec;
    this.x = new Float64Array(this.layout.constrainedDim);
    this.gx = new Float64Array(this.layout.constrainedDim);
    this.leafOffsets = new Int32Array(this.layout.names.length);
  }

  /** Log density and gradient at the unconstrained point `u`. */
  logDensityGradient(u: Float64Array, grad: Float64Array): number {
    const { layout, tape, x, gx } = this;
    const logJ = layout.constrain(u, x);
    tape.reset();
    // Leaves are the first nodes after a reset, so their ids (and pooled handles) never change.
    const names = layout.names;
    const leafOffsets = this.leafOffsets;
    for (let k = 0; k < names.length; k++) {
      const leaf = tape.leaf(layout.xSizes[k]);
      const off = tape.offsetOf(leaf);
      leafOffsets[k] = off;
      const xo = layout.xOffsets[k];
      const n = layout.xSizes[k];
      for (let i = 0; i < n; i++) tape.val[off + i] = x[xo + i];
    }
    if (this.nodes === null) {
      const nodes: Record<string, Node> = {};
      // Re-creating handles is unnecessary: node k is leaf k on every evaluation.
      for (let k = 0; k < names.length; k++) nodes[names[k]] = this.leafHandle(k);
      this.nodes = nodes as ParamNodes<P>;
    }
    const out = this.def.logDensity(tape, this.nodes);
    const lp = out.value + logJ;
    grad.fill(0);
    if (!Number.isFinite(lp)) return -Infinity;
    tape.backward(out);
    const adj = tape.adj;
    for (let k = 0; k < names.length; k++) {
      const off = leafOffsets[k];
      const xo = layout.xOffsets[k];
      const n = layout.xSizes[k];
      for (let i = 0; i < n; i++) gx[xo + i] = adj[off + i];
    }
    layout.backward(u, x, gx, grad);
    return lp;
  }

  /** Log density only (no gradient), at the unconstrained point `u`. */
  logDensity(u: Float64Array): number {
    return this.logDensityGradient(u, this.scratchGrad);
  }

  private get scratchGrad(): Float64Array {
    if (this.grad === null) this.grad = new Float64Array(this.layout.dim);
    return this.grad;
  }
  private grad: Float64Array | null = null;
  private leafHandle(k: number): Node {
    return this.tape.nodeAt(k);
  }
}

/** Build a sampler-ready model from named parameter declarations and a log-density function. */
export function defineModel<P extends ParamSpecs>(def: ModelDefinition<P>): TapeModel<P> {
  return new TapeModel(def);
}
