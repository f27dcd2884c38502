"""The Python peers of bench/data/bench.ts: the same validate, ingest and aggregate steps done with
pandas and with DuckDB's Python client, on the files the TypeScript side generated.

Usage: peer.py SPEC.json  -> prints one JSON object of timings (seconds) and counts on stdout.

SPEC: {"work": DIR, "tables": [{"name", "path", "suite": {expectations...}, "timestamps": [cols],
       "key": [cols], "columns": [cols], "ddl": "CREATE TABLE IF NOT EXISTS stg (...)", "aggregate": ...,
       "repeats": R}]}  (validate, ingest and aggregate run R times, the first two into fresh outputs;
       median and first run reported)

The same work as the workbench, step by step (the expectation suites are the TypeScript suites,
serialized, so every peer checks exactly what lib/validate checks):

validate = read the CSV; column presence; column types (numbers, integers, ISO timestamps: a value
  that does not parse is a failure, not an abort); not-null; ranges; allowed categories; exact
  uniqueness of the natural key; per-group non-decreasing timestamps; a count per expectation; the
  reasons of every failing row; then the same three outputs: quarantine.jsonl (row, reasons, values),
  report.json (counts per expectation) and a text summary.
ingest = sha256 of the file's bytes; skip it if the ledger already has that checksum; read + validate
  as above; then in one transaction: create the staging table if needed (the workbench's own DDL:
  typed columns, NOT NULL where the schema says so, the file's sha256 on every row), stage the good rows (rows
  whose key is already staged are quarantined instead), write the quarantined rows with reasons to
  the quarantine table and one ledger row; commit. Timestamps are stored as TIMESTAMP (UTC), as ours.
aggregate = the same GROUP BY over the loaded rows.

Known difference: pandas' C reader raises on a line with the wrong number of fields where
lib/validate quarantines it; the bench files are well-formed, so this never triggers here.
"""
import hashlib
import json
import os
import sys
import time

import duckdb
import numpy as np
import pandas as pd

NUMBER_KINDS = {"number", "integer"}


def label(e: dict) -> str:
    k = e["kind"]
    if k == "unique":
        return f"unique({', '.join(e['columns'])})"
    if k == "monotonic":
        return f"monotonic({e['column']} per {', '.join(e['groupBy'])})" if e["groupBy"] else f"monotonic({e['column']})"
    if k == "row_count_between":
        return "row_count_between"
    return f"{k}({e['column']})"


def pandas_checks(df: pd.DataFrame, suite: dict, timestamps: list) -> tuple[np.ndarray, list, list]:
    """Rows failing any quarantining expectation, the failure mask of each expectation, and counts."""
    n = len(df)
    bad = np.zeros(n, dtype=bool)
    masks = []
    counts = []
    for e in suite["expectations"]:
        kind = e["kind"]
        fail = None
        if kind == "column_exists":
            if e["column"] not in df.columns:
                raise ValueError(f"missing column {e['column']}")
        elif kind == "column_type":
            col = e["column"]
            s = df[col]
            if e["type"] in NUMBER_KINDS:
                if not pd.api.types.is_numeric_dtype(s):
                    coerced = pd.to_numeric(s, errors="coerce")
                    fail = (coerced.isna() & s.notna()).to_numpy()
                    df[col] = coerced
                elif e["type"] == "integer" and pd.api.types.is_float_dtype(s):
                    fail = (s.notna() & (s != np.floor(s))).to_numpy()
            elif e["type"] == "timestamp" and col in timestamps:
                # Parsed once, after read_csv; a value that does not parse is a type failure.
                fail = df.attrs["unparsed_" + col]
        elif kind == "not_null":
            fail = df[e["column"]].isna().to_numpy()
        elif kind == "values_between":
            s = df[e["column"]]
            f = np.zeros(n, dtype=bool)
            if e.get("min") is not None:
                f |= (s <= e["min"] if e.get("strictMin") else s < e["min"]).to_numpy()
            if e.get("max") is not None:
                f |= (s >= e["max"] if e.get("strictMax") else s > e["max"]).to_numpy()
            fail = f
        elif kind == "in_set":
            s = df[e["column"]]
            fail = (s.notna() & ~s.isin(e["values"])).to_numpy()
        elif kind == "unique":
            fail = df.duplicated(subset=e["columns"], keep="first").to_numpy()
        elif kind == "monotonic":
            col = e["column"]
            prev = df.groupby(e["groupBy"], sort=False)[col].shift(1) if e["groupBy"] else df[col].shift(1)
            fail = ((df[col] <= prev) if e.get("strict") else (df[col] < prev)).fillna(False).to_numpy()
        if fail is None:
            fail = np.zeros(n, dtype=bool)
        masks.append(fail)
        counts.append(int(fail.sum()))
        if e.get("quarantine", True):
            bad |= fail
    return bad, masks, counts


def pandas_read(t: dict) -> pd.DataFrame:
    df = pd.read_csv(t["path"], engine="c")
    for c in t["timestamps"]:
        raw = df[c]
        parsed = pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce")
        df.attrs["unparsed_" + c] = (parsed.isna() & raw.notna()).to_numpy()
        df[c] = parsed
    return df


def pandas_validate(t: dict, out_dir: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Read + every expectation + quarantine file, report and summary; returns the frame, bad mask and quarantined rows."""
    df = pandas_read(t)
    suite = t["suite"]
    bad, masks, counts = pandas_checks(df, suite, t["timestamps"])
    idx = np.flatnonzero(bad)
    q = df.iloc[idx].copy()
    reasons = [[] for _ in range(len(idx))]
    for e, m in zip(suite["expectations"], masks):
        if not e.get("quarantine", True):
            continue
        hit = m[idx]
        for k in np.flatnonzero(hit):
            reasons[k].append(label(e))
    q.insert(0, "reasons", reasons)
    q.insert(0, "row", idx)
    q.to_json(os.path.join(out_dir, "quarantine.jsonl"), orient="records", lines=True, date_format="iso")
    n = len(df)
    report = {
        "suite": suite["name"],
        "rowsIn": n,
        "rowsGood": int(n - len(idx)),
        "rowsQuarantined": int(len(idx)),
        "expectations": [{"label": label(e), "elementCount": n, "unexpectedCount": c, "success": c == 0} for e, c in zip(suite["expectations"], counts)],
    }
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(f"rows: {n} in, {report['rowsGood']} good, {report['rowsQuarantined']} quarantined\n")
        for r in report["expectations"]:
            f.write(f"  {'ok  ' if r['success'] else 'FAIL'} {r['label']}  {r['unexpectedCount']}/{n}\n")
    return df, bad, q


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


LEDGER_SQL = """
CREATE TABLE IF NOT EXISTS wh_ingested_files (sha256 VARCHAR PRIMARY KEY, path VARCHAR NOT NULL, rows_in BIGINT NOT NULL,
  rows_staged BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL, CHECK (rows_in = rows_staged + rows_quarantined));
CREATE TABLE IF NOT EXISTS wh_quarantine (sha256 VARCHAR NOT NULL, row_index BIGINT NOT NULL, reasons VARCHAR[] NOT NULL, raw JSON);
"""


def pandas_ingest(t: dict, db: str, out_dir: str) -> int:
    sha = sha256_file(t["path"])
    con = duckdb.connect(db)
    con.execute(LEDGER_SQL)
    if con.execute("SELECT count(*) FROM wh_ingested_files WHERE sha256 = ?", [sha]).fetchone()[0] > 0:
        con.close()
        return 0
    df, bad, q = pandas_validate(t, out_dir)
    good = df[~bad] if bad.any() else df
    for c in t["timestamps"]:
        good[c] = good[c].dt.tz_convert(None)
    quarantine = pd.DataFrame({"sha256": sha, "row_index": q["row"], "reasons": q["reasons"], "raw": q.drop(columns=["row", "reasons"]).to_json(orient="records", lines=True, date_format="iso").splitlines() if len(q) else []})
    key = " AND ".join(f's."{k}" = g."{k}"' for k in t["key"])
    cols = ", ".join(f'"{c}"' for c in t["columns"])
    con.execute("BEGIN TRANSACTION")
    # The workbench's staging DDL (typed, NOT NULL where the schema says so, plus the file's sha256 per row).
    con.execute(t["ddl"])
    staged0 = con.execute("SELECT count(*) FROM stg").fetchone()[0]
    if staged0 > 0:
        con.execute(f"INSERT INTO stg SELECT {cols}, '{sha}' FROM good g WHERE NOT EXISTS (SELECT 1 FROM stg s WHERE {key})")
    else:
        con.execute(f"INSERT INTO stg SELECT {cols}, '{sha}' FROM good")
    staged = con.execute("SELECT count(*) FROM stg").fetchone()[0] - staged0
    if len(quarantine):
        con.execute("INSERT INTO wh_quarantine SELECT sha256, row_index, reasons, raw FROM quarantine")
    con.execute("INSERT INTO wh_ingested_files VALUES (?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)", [sha, t["path"], len(df), staged, len(df) - staged])
    con.execute("COMMIT")
    con.close()
    return staged


def duck_checks(con, table: str, suite: dict) -> tuple[str, list]:
    """A WHERE predicate for bad rows, and (label, predicate) per quarantining expectation, in SQL."""
    preds = []
    for e in suite["expectations"]:
        kind = e["kind"]
        if kind in ("column_exists", "row_count_between", "column_type"):
            # read_csv typed the columns; a value that did not parse would have failed the read.
            continue
        if kind == "not_null":
            p = f'"{e["column"]}" IS NULL'
        elif kind == "values_between":
            parts = []
            if e.get("min") is not None:
                parts.append(f'"{e["column"]}" {"<=" if e.get("strictMin") else "<"} {e["min"]}')
            if e.get("max") is not None:
                parts.append(f'"{e["column"]}" {">=" if e.get("strictMax") else ">"} {e["max"]}')
            p = " OR ".join(parts) if parts else "false"
        elif kind == "in_set":
            vals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in e["values"])
            p = f'"{e["column"]}" IS NOT NULL AND CAST("{e["column"]}" AS VARCHAR) NOT IN ({vals})'
        elif kind == "unique":
            cols = ", ".join(f'"{c}"' for c in e["columns"])
            p = f"row_number() OVER (PARTITION BY {cols} ORDER BY rowid) > 1"
        elif kind == "monotonic":
            part = ", ".join(f'"{c}"' for c in e["groupBy"])
            over = f"({'PARTITION BY ' + part if part else ''} ORDER BY rowid)"
            p = f'"{e["column"]}" {"<=" if e.get("strict") else "<"} lag("{e["column"]}") OVER {over}'
        else:
            continue
        if e.get("quarantine", True):
            preds.append((label(e), f"coalesce({p}, false)"))
    return (" OR ".join(p for _, p in preds) if preds else "false"), preds


def duck_validate(t: dict, db: str, out_dir: str, store: bool) -> int:
    """read_csv into a table, every expectation as one flagged pass, the same three outputs; optionally stage."""
    sha = sha256_file(t["path"]) if store else None
    con = duckdb.connect(db if store else ":memory:")
    if store:
        con.execute(LEDGER_SQL)
        if con.execute("SELECT count(*) FROM wh_ingested_files WHERE sha256 = ?", [sha]).fetchone()[0] > 0:
            con.close()
            return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv('{t['path']}', header = true)")
    _, preds = duck_checks(con, "raw", t["suite"])
    flags = ", ".join(f"{p} AS f{i}" for i, (_, p) in enumerate(preds))
    reasons = "list_filter([" + ", ".join(f"CASE WHEN f{i} THEN '{lab}' END" for i, (lab, _) in enumerate(preds)) + "], lambda x: x IS NOT NULL)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE flagged AS SELECT rowid AS _row, *, {flags} FROM raw")
    anyf = " OR ".join(f"f{i}" for i in range(len(preds))) or "false"
    excl = ", ".join(f"f{i}" for i in range(len(preds)))
    counts = con.execute(f"SELECT count(*), {', '.join(f'count_if(f{i})' for i in range(len(preds)))} FROM flagged").fetchone()
    n = counts[0]
    qpath = os.path.join(out_dir, "quarantine.jsonl")
    con.execute(f"COPY (SELECT _row AS row, {reasons} AS reasons, * EXCLUDE (_row, {excl}) FROM flagged WHERE {anyf}) TO '{qpath}' (FORMAT json)")
    nbad = con.execute(f"SELECT count_if({anyf}) FROM flagged").fetchone()[0]
    report = {"rowsIn": n, "rowsGood": n - nbad, "rowsQuarantined": nbad, "expectations": [{"label": lab, "unexpectedCount": c} for (lab, _), c in zip(preds, counts[1:])]}
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(f"rows: {n} in, {n - nbad} good, {nbad} quarantined\n")
    if store:
        cols = ", ".join(f'"{c}"' for c in t["columns"])
        con.execute("BEGIN TRANSACTION")
        con.execute(t["ddl"])
        con.execute(f"INSERT INTO stg SELECT {cols}, '{sha}' FROM flagged WHERE NOT ({anyf}) ORDER BY _row")
        con.execute(f"INSERT INTO wh_quarantine SELECT '{sha}', _row, {reasons}, NULL FROM flagged WHERE {anyf}")
        con.execute("INSERT INTO wh_ingested_files VALUES (?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)", [sha, t["path"], n, n - nbad, nbad])
        con.execute("COMMIT")
    con.close()
    return nbad


def aggregate_pandas(df: pd.DataFrame, kind: str) -> int:
    if kind == "fleet":
        g = df.groupby(["day", "firmware", "road_type"], sort=True).agg(
            trips=("trip_id", "size"), miles=("miles", "sum"), minutes=("duration_min", "sum"), critical=("critical_events", "sum")
        )
        return len(g)
    hour = df["timestamp"].dt.floor("h")
    g = df.assign(hour=hour, faulty=df["fault_tag"] != "none").groupby(["device_id", "hour"], sort=True).agg(
        temp=("temp_c", "mean"), vib=("vibration_g", "max"), faults=("faulty", "sum")
    )
    return len(g)


AGG_SQL = {
    "fleet": 'SELECT day, firmware, road_type, count(*) AS trips, sum(miles), sum(duration_min), sum(critical_events) FROM {t} GROUP BY ALL ORDER BY ALL',
    "industrial": "SELECT device_id, date_trunc('hour', \"timestamp\") AS hour, avg(temp_c), max(vibration_g), count_if(fault_tag <> 'none') FROM {t} GROUP BY ALL ORDER BY ALL",
}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def repeated(r: dict, key: str, times: int, fn):
    """Run fn(i) `times` times; r[key] = median seconds, r[key + "_first"] = the first run; returns the last output."""
    runs = []
    out = None
    for i in range(times):
        dt, out = timed(lambda: fn(i))
        runs.append(dt)
    r[key] = float(np.median(runs))
    r[key + "_first"] = runs[0]
    return out


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    work = spec["work"]
    result = {"versions": {"pandas": pd.__version__, "duckdb": duckdb.__version__, "numpy": np.__version__}, "tables": {}}
    for t in spec["tables"]:
        name = t["name"]
        times = int(t.get("repeats", 1))
        r = {}

        def out(kind: str, i: int) -> str:
            d = os.path.join(work, f"{kind}_{name}_{i}")
            os.makedirs(d, exist_ok=True)
            return d

        df, bad, _ = repeated(r, "pandas_validate", times, lambda i: pandas_validate(t, out("pandas_v", i)))
        r["pandas_bad_rows"] = int(bad.sum())
        r["pandas_staged"] = repeated(r, "pandas_ingest", times, lambda i: pandas_ingest(t, os.path.join(work, f"pandas_{name}_{i}.duckdb"), out("pandas_i", i)))
        # The loaded data as the aggregate reads it: the validated frame (timestamps in UTC).
        good = df if not bad.any() else df[~bad]
        r["pandas_groups"] = repeated(r, "pandas_aggregate", times, lambda i: aggregate_pandas(good, t["aggregate"]))
        del good
        del df

        r["duckdb_bad_rows"] = repeated(r, "duckdb_validate", times, lambda i: duck_validate(t, ":memory:", out("duck_v", i), False))
        repeated(r, "duckdb_ingest", times, lambda i: duck_validate(t, os.path.join(work, f"duck_{name}_{i}.duckdb"), out("duck_i", i), True))
        ddb = os.path.join(work, f"duck_{name}_{times - 1}.duckdb")

        def duck_agg():
            con = duckdb.connect(ddb)
            n = con.sql(AGG_SQL[t["aggregate"]].format(t="stg")).to_arrow_table().num_rows
            con.close()
            return n

        r["duckdb_groups"] = repeated(r, "duckdb_aggregate", times, lambda i: duck_agg())
        result["tables"][name] = r
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
