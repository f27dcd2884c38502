/**
 * The experiments the CLI can run, by name. Each file exports one definition (a zod config schema
 * and a run function); configs live in configs/<name>/.
 */
import type { ExperimentDefinition } from "../lib/experiment/definition.js";
import rateEstimate from "./rate-estimate.js";
import rareEvents from "./rare-events.js";
import changepoint from "./changepoint.js";
import survival from "./survival.js";
import anomaly from "./anomaly.js";
import failurePrediction from "./failure-prediction.js";
import drivingStyle from "./driving-style.js";

/** Every registered experiment, keyed by name. */
export const experiments: Record<string, ExperimentDefinition> = {
  [rateEstimate.name]: rateEstimate,
  [rareEvents.name]: rareEvents,
  [changepoint.name]: changepoint,
  [survival.name]: survival,
  [anomaly.name]: anomaly,
  [failurePrediction.name]: failurePrediction,
  [drivingStyle.name]: drivingStyle,
};
