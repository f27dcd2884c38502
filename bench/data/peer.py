"""The Python peers of bench/data/bench.ts: the same validate, ingest and aggregate steps done with
pandas and with DuckDB's Python client, on the files the TypeScript side generated.

Usage: peer.py SPEC.json  -> prints one JSON object of timings (seconds) and counts on stdout.

SPEC: {"work": DIR, "tables": [{"name", "path", "suite": {expectations...}, "timestamps": [cols],
       "aggregate": "fleet" | "industrial"}]}

The expectation suites are the TypeScript suites serialized, so every peer checks exactly what
lib/validate checks (vectorized here): column presence and types, not-null, ranges, allowed
categories, key uniqueness, per-group monotonic timestamps.
"""
import json
import os
import sys
import time

import duckdb
import numpy as np
import pandas as pd

NUMBER_KINDS = {"number", "integer"}


def pandas_bad_mask(df: pd.DataFrame, suite: dict) -> tuple[np.ndarray, dict]:
    """Rows failing any quarantining expectation, and unexpected counts per expectation."""
    bad = np.zeros(len(df), dtype=bool)
    counts = {}
    for i, e in enumerate(suite["expectations"]):
        kind = e["kind"]
        fail = None
        if kind == "column_exists":
            if e["column"] not in df.columns:
                raise ValueError(f"missing column {e['column']}")
            continue
        if kind == "row_count_between":
            continue
        if kind == "column_type":
            s = df[e["column"]]
            if e["type"] in NUMBER_KINDS and not pd.api.types.is_numeric_dtype(s):
                coerced = pd.to_numeric(s, errors="coerce")
                fail = (coerced.isna() & s.notna()).to_numpy()
            elif e["type"] == "integer" and pd.api.types.is_float_dtype(s):
                fail = (s.notna() & (s != np.floor(s))).to_numpy()
            else:
                fail = np.zeros(len(df), dtype=bool)
        elif kind == "not_null":
            fail = df[e["column"]].isna().to_numpy()
        elif kind == "values_between":
            s = df[e["column"]]
            f = np.zeros(len(df), dtype=bool)
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
            if e["groupBy"]:
                prev = df.groupby(e["groupBy"], sort=False)[col].shift(1)
            else:
                prev = df[col].shift(1)
            fail = ((df[col] < prev) if not e.get("strict") else (df[col] <= prev)).fillna(False).to_numpy()
        counts[i] = int(fail.sum())
        if e.get("quarantine", True):
            bad |= fail
    return bad, counts


def pandas_read(t: dict) -> pd.DataFrame:
    df = pd.read_csv(t["path"], engine="c")
    for c in t["timestamps"]:
        df[c] = pd.to_datetime(df[c], format="ISO8601", utc=True)
    return df


def duck_checks(con, table: str, suite: dict) -> tuple[str, dict]:
    """A WHERE predicate for bad rows and the unexpected count per expectation, in SQL."""
    preds = []
    counts = {}
    for i, e in enumerate(suite["expectations"]):
        kind = e["kind"]
        q = e.get("quarantine", True)
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
        counts[i] = con.execute(f"SELECT count(*) FROM (SELECT ({p}) AS f FROM {table}) WHERE f").fetchone()[0]
        if q:
            preds.append(f"coalesce({p}, false)")
    return (" OR ".join(preds) if preds else "false"), counts


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


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    work = spec["work"]
    result = {"versions": {"pandas": pd.__version__, "duckdb": duckdb.__version__, "numpy": np.__version__}, "tables": {}}
    for t in spec["tables"]:
        name = t["name"]
        r = {}

        # pandas: validate = read + every expectation; ingest = that + store the good rows in a DuckDB file.
        def pd_validate():
            df = pandas_read(t)
            bad, _ = pandas_bad_mask(df, t["suite"])
            return df, int(bad.sum())

        r["pandas_validate"], (df, nbad) = timed(pd_validate)
        r["pandas_bad_rows"] = nbad
        db = os.path.join(work, f"pandas_{name}.duckdb")

        def pd_ingest():
            df2 = pandas_read(t)
            bad, _ = pandas_bad_mask(df2, t["suite"])
            good = df2[~bad]
            con = duckdb.connect(db)
            con.execute("CREATE OR REPLACE TABLE stg AS SELECT * FROM good")
            n = con.execute("SELECT count(*) FROM stg").fetchone()[0]
            con.close()
            return n

        r["pandas_ingest"], r["pandas_staged"] = timed(pd_ingest)
        r["pandas_aggregate"], r["pandas_groups"] = timed(lambda: aggregate_pandas(df, t["aggregate"]))
        del df

        # DuckDB's Python client: read_csv into a table, the same expectations in SQL, keep the good rows.
        ddb = os.path.join(work, f"duck_{name}.duckdb")

        def duck_validate(store: bool):
            con = duckdb.connect(ddb if store else ":memory:")
            con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv('{t['path']}', header = true)")
            pred, _ = duck_checks(con, "raw", t["suite"])
            nbad = con.execute(f"SELECT count(*) FROM (SELECT ({pred}) AS bad FROM raw) WHERE bad").fetchone()[0]
            if store:
                con.execute(f"CREATE OR REPLACE TABLE stg AS SELECT * EXCLUDE (bad) FROM (SELECT *, ({pred}) AS bad FROM raw) WHERE NOT bad")
            con.close()
            return nbad

        r["duckdb_validate"], r["duckdb_bad_rows"] = timed(lambda: duck_validate(False))
        r["duckdb_ingest"], _ = timed(lambda: duck_validate(True))

        def duck_agg():
            con = duckdb.connect(ddb)
            n = con.execute(AGG_SQL[t["aggregate"]].format(t="stg")).to_arrow_table().num_rows
            con.close()
            return n

        r["duckdb_aggregate"], r["duckdb_groups"] = timed(duck_agg)
        result["tables"][name] = r
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
