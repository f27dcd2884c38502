/**
 * The plain-language answer of a trial: whether the reference platform's claimed improvements
 * (importance sampling raised detection sensitivity from about 60% to about 85% and cut MTTD by
 * 30-40%) reproduce, cell by cell, with the numbers and intervals behind each statement.
 */
import { CLAIM, cellLabel, type CellSummary } from "./summary.js";

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : "n/a";
}
function pts(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(100 * v).toFixed(0)}` : "n/a";
}
function days(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} d` : "n/a";
}

/** One line per cell for the importance arm, and the overall verdict. */
export function claimConclusion(cells: readonly CellSummary[], arm: "importance" | "stratified" | "adaptive" = "importance"): { verdict: string; lines: string[]; reproduces: string[]; partial: string[]; fails: string[] } {
  const lines: string[] = [];
  const reproduces: string[] = [];
  const partial: string[] = [];
  const fails: string[] = [];
  for (const c of cells) {
    const k = c.paired.findIndex((p) => p.arm === arm);
    const p = c.paired[k];
    const v = c.verdicts[k];
    const u = c.arms[0];
    const a = c.arms.find((x) => x.arm === arm);
    if (!p || !v || !a) continue;
    const label = cellLabel(c.cell);
    lines.push(
      `- ${label}: sensitivity ${pct(u.sensitivity.estimate)} (uniform) -> ${pct(a.sensitivity.estimate)} (${arm}), ` +
        `${pts(p.sensitivityDiff.estimate)} points [${pts(p.sensitivityDiff.lower)}, ${pts(p.sensitivityDiff.upper)}]: ${v.sensitivity}; ` +
        `MTTD ${days(u.mttd.estimate)} -> ${days(a.mttd.estimate)}, ${pts(p.mttdRelChange.estimate)}% [${pts(p.mttdRelChange.lower)}, ${pts(p.mttdRelChange.upper)}]: ${v.mttd}; ` +
        `false alarms per 1000 days ${u.falseAlarmsPer1000.estimate.toFixed(1)} (uniform) vs ${a.falseAlarmsPer1000.estimate.toFixed(1)} (${arm}). **${v.overall}**.`,
    );
    (v.overall === "reproduces" ? reproduces : v.overall === "partially reproduces" ? partial : fails).push(label);
  }
  const total = reproduces.length + partial.length + fails.length;
  const verdict =
    reproduces.length === total
      ? `The claimed improvements reproduce in every setting tested (${total}).`
      : reproduces.length === 0 && partial.length === 0
        ? `The claimed improvements do not reproduce in any setting tested (${total}).`
        : `The claimed improvements reproduce in full in ${reproduces.length} of ${total} settings, in part in ${partial.length}, and not at all in ${fails.length}.`;
  return { verdict, lines, reproduces, partial, fails };
}

/** The conclusion.md artifact. */
export function conclusionMarkdown(cells: readonly CellSummary[], context: { replicates: number; worldSummary: Record<string, number>; notes: string[] }): string {
  const imp = claimConclusion(cells, "importance");
  const out: string[] = [];
  out.push("# Does importance sampling reproduce the claimed gains?", "");
  out.push(
    `Claim under test (reference safety platform): importance sampling raised detection sensitivity from about ${pct(CLAIM.baselineSensitivity)} to about ${pct(CLAIM.improvedSensitivity)} and cut MTTD by ${pct(CLAIM.mttdReduction[0])}-${pct(CLAIM.mttdReduction[1])}.`,
    "",
    `**Answer (importance arm vs uniform, CUSUM at equal in-control ARL0, ${context.replicates} paired replicates): ${imp.verdict}**`,
    "",
  );
  if (imp.reproduces.length > 0) out.push(`Reproduces in full: ${imp.reproduces.join("; ")}.`, "");
  if (imp.partial.length > 0) out.push(`Reproduces in part (one of the two claims): ${imp.partial.join("; ")}.`, "");
  if (imp.fails.length > 0) out.push(`Does not reproduce: ${imp.fails.join("; ")}.`, "");
  out.push("## By setting (importance vs uniform)", "", ...imp.lines, "");
  for (const arm of ["stratified", "adaptive"] as const) {
    const c = claimConclusion(cells, arm);
    out.push(`## ${arm} vs uniform`, "", c.verdict, "", ...c.lines, "");
  }
  out.push(
    "## How to read this",
    "",
    `- A claim "reproduces" in a setting when the paired bootstrap interval excludes no effect and the point estimate reaches the claim: a sensitivity gain of at least ${pts(CLAIM.minSensitivityGain)} points (claimed +25), an MTTD reduction of at least ${pct(CLAIM.mttdReduction[0])}. "smaller than claimed": significant but short of that; "no significant change": the interval covers 0.`,
    "- Sensitivity: share of replicates whose injected regression raised an alert between its onset and its end plus the grace days. MTTD: mean delay of those alerts (conditional on detection, so an arm that detects more hard cases can show a longer MTTD).",
    "- Every arm's CUSUM threshold gives the same in-control ARL0 on its own design-expected counts, so arms are compared at (nominally) equal false-alarm rates; the in-control O/E column shows how well the risk model's calibration holds per arm.",
    "- The rate estimates (Horvitz-Thompson per trip, Hajek per mile) are design-unbiased for every arm; importance sampling proportional to risk does not reduce their variance much (for rare Poisson outcomes Var ~ sum mu/pi, minimized by pi ~ sqrt(mu), not pi ~ mu). Its detection gain comes from the count detectors' information, which grows with sum pi_i mu_i: sampling risky trips finds more events per reviewed trip (E[r^2]/E[r]^2 more).",
    "",
    "## World",
    "",
    ...Object.entries(context.worldSummary).map(([k, v]) => `- ${k}: ${Number.isInteger(v) ? v : v.toPrecision(4)}`),
    "",
    ...context.notes,
  );
  return out.join("\n") + "\n";
}
