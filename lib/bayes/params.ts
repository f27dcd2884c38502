/**
 * Parameters with constraints. Each parameter maps an unconstrained block of the sampler's
 * vector to its constrained values and contributes the log-Jacobian of that map, so a sampler can
 * move freely on R^n while the model sees positive scales, bounded probabilities or simplexes.
 */
import { ConfigError } from "../errors.js";
import { invLogit, softplus } from "./autodiff.js";

/** How a parameter is constrained. */
export type ParamKind = "real" | "positive" | "bounded" | "simplex";

/** A parameter declaration: constraint, and `size` for a vector (undefined = scalar). */
export interface ParamSpec {
  readonly kind: ParamKind;
  readonly size?: number;
  readonly lower?: number;
  readonly upper?: number;
}

/** An unconstrained real parameter (scalar, or a vector with `size`). */
export function real(options: { size?: number } = {}): ParamSpec {
  return { kind: "real", size: checkSize(options.size) };
}

/** A parameter above `lower` (default 0), mapped through lower + exp(u). */
export function positive(options: { size?: number; lower?: number } = {}): ParamSpec {
  return { kind: "positive", size: checkSize(options.size), lower: options.lower ?? 0 };
}

/** A parameter in (lower, upper), mapped through the logistic function. */
export function bounded(lower: number, upper: number, options: { size?: number } = {}): ParamSpec {
  if (!(upper > lower) || !Number.isFinite(lower) || !Number.isFinite(upper)) {
    throw new ConfigError(`invalid bounds: lower ${lower}, upper ${upper}`);
  }
  return { kind: "bounded", size: checkSize(options.size), lower, upper };
}

/** A probability vector of `size` >= 2 entries, mapped by stick-breaking from size - 1 reals. */
export function simplex(size: number): ParamSpec {
  if (!Number.isInteger(size) || size < 2) throw new ConfigError(`invalid simplex size: ${size}`);
  return { kind: "simplex", size };
}

function checkSize(size: number | undefined): number | undefined {
  if (size === undefined) return undefined;
  if (!Number.isInteger(size) || size < 1) throw new ConfigError(`invalid parameter size: ${size}`);
  return size;
}

/** Parameter declarations in order, by name. */
export type ParamSpecs = Record<string, ParamSpec>;

/** The layout of named parameters in the unconstrained and constrained vectors. */
export class ParamLayout {
  /** Parameter names in declaration order. */
  readonly names: readonly string[];
  /** The specs in declaration order. */
  readonly specs: readonly ParamSpec[];
  /** Offset of each parameter in the unconstrained vector. */
  readonly uOffsets: Int32Array;
  /** Offset of each parameter in the constrained vector. */
  readonly xOffsets: Int32Array;
  /** Constrained length of each parameter. */
  readonly xSizes: Int32Array;
  /** Unconstrained dimension. */
  readonly dim: number;
  /** Constrained dimension. */
  readonly constrainedDim: number;
  /** One name per constrained scalar, ArviZ style: "mu", "theta[0]". */
  readonly flatNames: readonly string[];
  private readonly stick: Float64Array;

  constructor(specs: ParamSpecs) {
    const names = Object.keys(specs);
    if (names.length === 0) throw new ConfigError("a model needs at least one parameter");
    this.names = names;
    this.specs = names.map((n) => specs[n]);
    this.uOffsets = new Int32Array(names.length);
    this.xOffsets = new Int32Array(names.length);
    this.xSizes = new Int32Array(names.length);
    let u = 0;
    let x = 0;
    let maxStick = 1;
    const flat: string[] = [];
    names.forEach((name, k) => {
      const spec = this.specs[k];
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ConfigError(`invalid parameter name: ${JSON.stringify(name)}`);
      const size = spec.size ?? 1;
      this.uOffsets[k] = u;
      this.xOffsets[k] = x;
      this.xSizes[k] = size;
      u += spec.kind === "simplex" ? size - 1 : size;
      x += size;
      if (spec.kind === "simplex") maxStick = Math.max(maxStick, size);
      if (spec.size === undefined) flat.push(name);
      else for (let i = 0; i < size; i++) flat.push(`${name}[${i}]`);
    });
    this.dim = u;
    this.constrainedDim = x;
    this.flatNames = flat;
    this.stick = new Float64Array(maxStick);
  }

  /** Write constrained values of `u` into `x`; returns the log-Jacobian. */
  constrain(u: Float64Array, x: Float64Array): number {
    let logJ = 0;
    for (let k = 0; k < this.specs.length; k++) {
      const spec = this.specs[k];
      const uo = this.uOffsets[k];
      const xo = this.xOffsets[k];
      const n = this.xSizes[k];
      switch (spec.kind) {
        case "real":
          for (let i = 0; i < n; i++) x[xo + i] = u[uo + i];
          break;
        case "positive": {
          const lb = spec.lower ?? 0;
          for (let i = 0; i < n; i++) {
            x[xo + i] = lb + Math.exp(u[uo + i]);
            logJ += u[uo + i];
          }
          break;
        }
        case "bounded": {
          const lb = spec.lower as number;
          const w = (spec.upper as number) - lb;
          const lw = Math.log(w);
          for (let i = 0; i < n; i++) {
            const v = u[uo + i];
            x[xo + i] = lb + w * invLogit(v);
            logJ += lw - softplus(-v) - softplus(v);
          }
          break;
        }
        case "simplex": {
          // Stan's stick-breaking: centred so that u = 0 maps to the uniform simplex.
          let stick = 1;
          for (let i = 0; i < n - 1; i++) {
            const adj = u[uo + i] - Math.log(n - 1 - i);
            const z = invLogit(adj);
            this.stick[i] = stick;
            const xi = stick * z;
            x[xo + i] = xi;
            logJ += Math.log(stick) - softplus(-adj) - softplus(adj);
            stick -= xi;
          }
          x[xo + n - 1] = stick;
          break;
        }
      }
    }
    return logJ;
  }

  /**
   * Chain rule back through `constrain`: gu += J^T gx + d logJ / du. `x` must hold the values
   * `constrain(u, x)` produced.
   */
  backward(u: Float64Array, x: Float64Array, gx: Float64Array, gu: Float64Array): void {
    for (let k = 0; k < this.specs.length; k++) {
      const spec = this.specs[k];
      const uo = this.uOffsets[k];
      const xo = this.xOffsets[k];
      const n = this.xSizes[k];
      switch (spec.kind) {
        case "real":
          for (let i = 0; i < n; i++) gu[uo + i] += gx[xo + i];
          break;
        case "positive": {
          const lb = spec.lower ?? 0;
          for (let i = 0; i < n; i++) gu[uo + i] += gx[xo + i] * (x[xo + i] - lb) + 1;
          break;
        }
        case "bounded": {
          const w = (spec.upper as number) - (spec.lower as number);
          for (let i = 0; i < n; i++) {
            const s = invLogit(u[uo + i]);
            gu[uo + i] += gx[xo + i] * w * s * (1 - s) + 1 - 2 * s;
          }
          break;
        }
        case "simplex": {
          // Reverse sweep through the stick: x_i = stick_i z_i, stick_{i+1} = stick_i - x_i.
          let gStick = gx[xo + n - 1];
          for (let i = n - 2; i >= 0; i--) {
            const adj = u[uo + i] - Math.log(n - 1 - i);
            const z = invLogit(adj);
            const stick = this.stick[i];
            const gxi = gx[xo + i] - gStick;
            const gz = gxi * stick;
            gStick = gStick + gxi * z + 1 / stick;
            gu[uo + i] += gz * z * (1 - z) + 1 - 2 * z;
          }
          break;
        }
      }
    }
  }

  /** Map constrained values back to the unconstrained vector (for user inits). */
  unconstrain(x: Float64Array): Float64Array {
    const u = new Float64Array(this.dim);
    for (let k = 0; k < this.specs.length; k++) {
      const spec = this.specs[k];
      const uo = this.uOffsets[k];
      const xo = this.xOffsets[k];
      const n = this.xSizes[k];
      switch (spec.kind) {
        case "real":
          for (let i = 0; i < n; i++) u[uo + i] = x[xo + i];
          break;
        case "positive":
          for (let i = 0; i < n; i++) u[uo + i] = Math.log(x[xo + i] - (spec.lower ?? 0));
          break;
        case "bounded": {
          const lb = spec.lower as number;
          const w = (spec.upper as number) - lb;
          for (let i = 0; i < n; i++) {
            const p = (x[xo + i] - lb) / w;
            u[uo + i] = Math.log(p) - Math.log1p(-p);
          }
          break;
        }
        case "simplex": {
          let stick = 1;
          for (let i = 0; i < n - 1; i++) {
            const z = x[xo + i] / stick;
            u[uo + i] = Math.log(z) - Math.log1p(-z) + Math.log(n - 1 - i);
            stick -= x[xo + i];
          }
          break;
        }
      }
    }
    return u;
  }

  /** Named constrained values from a constrained vector: numbers for scalars, arrays for vectors. */
  toNamed(x: Float64Array, offset = 0): Record<string, number | Float64Array> {
    const out: Record<string, number | Float64Array> = {};
    for (let k = 0; k < this.names.length; k++) {
      const xo = offset + this.xOffsets[k];
      out[this.names[k]] = this.specs[k].size === undefined ? x[xo] : x.slice(xo, xo + this.xSizes[k]);
    }
    return out;
  }

  /** A constrained vector from named values, naming the parameter at fault when one is missing or misshaped. */
  fromNamed(values: Record<string, number | ArrayLike<number>>): Float64Array {
    const x = new Float64Array(this.constrainedDim);
    for (let k = 0; k < this.names.length; k++) {
      const name = this.names[k];
      const v = values[name];
      const n = this.xSizes[k];
      if (v === undefined) throw new ConfigError(`init: missing value for parameter "${name}"`);
      if (typeof v === "number") {
        if (n !== 1 && this.specs[k].size !== undefined) throw new ConfigError(`init: parameter "${name}" needs ${n} values, got a number`);
        x[this.xOffsets[k]] = v;
      } else {
        if (v.length !== n) throw new ConfigError(`init: parameter "${name}" needs ${n} values, got ${v.length}`);
        for (let i = 0; i < n; i++) x[this.xOffsets[k] + i] = v[i];
      }
    }
    return x;
  }
}
