-- Fleet safety star schema, rebuilt from the staging tables in one pass (deterministic: the same
-- staging rows always give the same tables). Grain of each table is stated above it.
-- Inputs: stg_fleet_trips (required), stg_fleet_events, stg_fleet_trip_truth (may be empty).

-- dim_date: one row per simulation day (date_key = day index from the data set's start).
CREATE OR REPLACE TABLE dim_date AS
WITH span AS (SELECT min(day) AS lo, max(day) AS hi FROM stg_fleet_trips),
     seen AS (SELECT day, CAST(min(start_ts) AS DATE) AS first_date FROM stg_fleet_trips GROUP BY day),
     origin AS (SELECT min(first_date - CAST(day AS INTEGER)) AS d0 FROM seen),
     days AS (SELECT CAST(g.generate_series AS INTEGER) AS day FROM span, generate_series(span.lo, span.hi) g)
SELECT
  days.day AS date_key,
  CAST(origin.d0 + days.day AS DATE) AS date,
  CAST(year(origin.d0 + days.day) AS INTEGER) AS year,
  CAST(month(origin.d0 + days.day) AS INTEGER) AS month,
  CAST(day(origin.d0 + days.day) AS INTEGER) AS day_of_month,
  CAST(isodow(origin.d0 + days.day) AS INTEGER) AS iso_day_of_week,
  CAST(weekofyear(origin.d0 + days.day) AS INTEGER) AS iso_week,
  isodow(origin.d0 + days.day) >= 6 AS is_weekend
FROM days, origin
ORDER BY date_key;

-- dim_vehicle: one row per vehicle seen in the trips.
CREATE OR REPLACE TABLE dim_vehicle AS
SELECT
  vehicle_id AS vehicle_key,
  vehicle_id,
  min(day) AS first_date_key,
  max(day) AS last_date_key,
  count(*) AS trips,
  round(sum(miles), 2) AS miles,
  arg_max(firmware, start_ts) AS latest_firmware
FROM stg_fleet_trips
GROUP BY vehicle_id
ORDER BY vehicle_key;

-- dim_firmware: one row per firmware version, keyed in rollout order (first day seen, then version).
CREATE OR REPLACE TABLE dim_firmware AS
WITH f AS (
  SELECT firmware AS version, min(day) AS first_date_key, max(day) AS last_date_key, count(*) AS trips
  FROM stg_fleet_trips GROUP BY firmware
)
SELECT
  CAST(row_number() OVER (ORDER BY first_date_key, version) AS INTEGER) AS firmware_key,
  version,
  TRY_CAST(split_part(version, '.', 1) AS INTEGER) AS major,
  TRY_CAST(split_part(version, '.', 2) AS INTEGER) AS minor,
  TRY_CAST(split_part(version, '.', 3) AS INTEGER) AS patch,
  first_date_key,
  last_date_key,
  trips
FROM f
ORDER BY firmware_key;

-- dim_event_type: the generator's event types with their severity, plus any other type staged.
CREATE OR REPLACE TABLE dim_event_type AS
WITH known(event_type, severity, critical, ord) AS (
  VALUES ('harsh_brake', 'minor', false, 1), ('safety_intervention', 'moderate', false, 2),
         ('near_miss', 'critical', true, 3), ('collision', 'critical', true, 4)
),
other AS (
  SELECT event_type, any_value(severity) AS severity, bool_or(critical) AS critical, 100 AS ord
  FROM stg_fleet_events WHERE event_type NOT IN (SELECT event_type FROM known) GROUP BY event_type
),
allt AS (SELECT * FROM known UNION ALL SELECT * FROM other)
SELECT CAST(row_number() OVER (ORDER BY ord, event_type) AS INTEGER) AS event_type_key, event_type, severity, critical
FROM allt
ORDER BY event_type_key;

-- fact_trip_safety: one row per trip, with exposure, counts and (when staged) the true hazard.
CREATE OR REPLACE TABLE fact_trip_safety AS
SELECT
  t.trip_id,
  t.vehicle_id AS vehicle_key,
  t.day AS date_key,
  f.firmware_key,
  t.start_ts,
  t.road_type,
  t.weather,
  t.time_of_day,
  t.start_mode,
  t.duration_min AS exposure_minutes,
  t.miles AS exposure_miles,
  t.manual_min,
  t.assisted_min,
  t.autonomous_min,
  t.mode_transitions,
  t.disengagements,
  t.harsh_brakes,
  t.safety_interventions,
  t.near_misses,
  t.collisions,
  t.critical_events,
  tt.true_hazard,
  tt.baseline_hazard,
  tt.regression_hr
FROM stg_fleet_trips t
JOIN dim_firmware f ON f.version = t.firmware
LEFT JOIN stg_fleet_trip_truth tt ON tt.trip_id = t.trip_id
ORDER BY t.trip_id;

-- fact_events: one row per event.
CREATE OR REPLACE TABLE fact_events AS
SELECT
  e.event_id,
  e.trip_id,
  e.vehicle_id AS vehicle_key,
  e.day AS date_key,
  et.event_type_key,
  e.event_ts,
  e.driving_mode,
  e.critical
FROM stg_fleet_events e
JOIN dim_event_type et ON et.event_type = e.event_type
ORDER BY e.event_id;

-- fact_daily_hazard: one row per day x vehicle group (firmware x road type) with trips. Exposure is
-- summed in the generators' units (hundredths of a mile, tenths of a minute) as integers, so sums are
-- exact whatever the order; exposure_miles/minutes are those exact sums in miles and minutes.
CREATE OR REPLACE TABLE fact_daily_hazard AS
SELECT
  date_key,
  firmware_key,
  road_type,
  CAST(count(*) AS BIGINT) AS trips,
  CAST(count(DISTINCT vehicle_key) AS BIGINT) AS vehicles,
  CAST(sum(CAST(round(exposure_miles * 100) AS BIGINT)) AS BIGINT) AS exposure_centimiles,
  CAST(sum(CAST(round(exposure_minutes * 10) AS BIGINT)) AS BIGINT) AS exposure_deciminutes,
  sum(CAST(round(exposure_miles * 100) AS BIGINT)) / 100.0 AS exposure_miles,
  sum(CAST(round(exposure_minutes * 10) AS BIGINT)) / 10.0 AS exposure_minutes,
  CAST(sum(critical_events) AS BIGINT) AS critical_events,
  CAST(sum(near_misses) AS BIGINT) AS near_misses,
  CAST(sum(collisions) AS BIGINT) AS collisions,
  CAST(sum(harsh_brakes) AS BIGINT) AS harsh_brakes,
  CAST(sum(safety_interventions) AS BIGINT) AS safety_interventions,
  CAST(sum(disengagements) AS BIGINT) AS disengagements,
  sum(true_hazard) AS expected_critical,
  sum(baseline_hazard) AS expected_critical_baseline,
  count(true_hazard) = count(*) AS truth_complete,
  1000.0 * sum(critical_events) / count(*) AS critical_per_1k_trips,
  1e6 * sum(critical_events) / nullif(sum(exposure_miles), 0) AS critical_per_million_miles
FROM fact_trip_safety
GROUP BY date_key, firmware_key, road_type
ORDER BY date_key, firmware_key, road_type;
