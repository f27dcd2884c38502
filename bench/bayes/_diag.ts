import { createRng } from "../../lib/util/random.js";
import { prepareWeibullSurvival, simulateWeibullSurvival, WeibullSurvivalModel } from "../../lib/bayes/models/weibull-survival.js";
import { sample } from "../../lib/bayes/sample.js";
const rows = Number(process.argv[2] ?? 20000);
const sim = simulateWeibullSurvival({ mu: 2.5, alpha: 1.4, sigma: 0.5, beta: [0.35, -0.2] }, { rows, groups: 50, censorMax: 25 }, createRng(2024));
const model = new WeibullSurvivalModel(prepareWeibullSurvival(sim));
const t0 = Date.now();
const post = await sample(model, { seed: 1, chains: 2, warmup: 1000, draws: 1000, metric: (process.argv[3] ?? "diag") as "diag" | "dense" });
const { essBulk } = await import("../../lib/bayes/diagnostics.js");
console.log("ess mu", essBulk(post.draws("mu")).toFixed(0), "sigma", essBulk(post.draws("sigma")).toFixed(0), "z min", Math.min(...post.names.filter((n) => n.startsWith("z")).map((n) => essBulk(post.draws(n)))).toFixed(0), "alpha", essBulk(post.draws("alpha")).toFixed(0));
console.log("secs", (Date.now() - t0) / 1000);
for (const c of post.chains) {
  const lf = c.stats.nLeapfrog; const td = c.stats.treeDepth;
  const hist: Record<number, number> = {}; for (const d of td) hist[d] = (hist[d] ?? 0) + 1;
  console.log("chain", c.chain, "step", c.stepSize.toFixed(4), "mean lf", (lf.reduce((a, b) => a + b, 0) / lf.length).toFixed(1), "depths", JSON.stringify(hist),
    "accept", (c.stats.acceptStat.reduce((a, b) => a + b, 0) / lf.length).toFixed(3));
  // posterior variance on the unconstrained scale vs inverse metric
  const dim = post.layout.constrainedDim; const n = post.nDraws;
  const names = post.names;
  const out: string[] = [];
  for (const j of [0, 1, 2, 3, 4, 5, 6, 30]) {
    let m = 0, v = 0; const vals: number[] = [];
    for (let d = 0; d < n; d++) { let x = c.draws[d * dim + j]; if (j === 1 || j === 2) x = Math.log(x); vals.push(x); m += x; }
    m /= n; for (const x of vals) v += (x - m) ** 2; v /= n - 1;
    out.push(`${names[j]} var ${v.toExponential(2)} inv ${c.invMetric[j].toExponential(2)}`);
  }
  console.log(out.join("\n"));
}
