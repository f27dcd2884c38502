-- Ledger and quarantine of the warehouse. Created on every open; IF NOT EXISTS keeps it idempotent.

-- One row per raw file whose load committed. The checksum is the identity: a file with the same
-- bytes under any name is skipped before it is read.
CREATE TABLE IF NOT EXISTS wh_ingested_files (
  sha256            VARCHAR PRIMARY KEY,
  path              VARCHAR NOT NULL,
  staging_table     VARCHAR NOT NULL,
  format            VARCHAR NOT NULL,
  bytes             BIGINT NOT NULL,
  rows_in           BIGINT NOT NULL,
  rows_staged       BIGINT NOT NULL,
  rows_quarantined  BIGINT NOT NULL,
  -- Rows whose natural key was already staged (from another file); they are quarantined too.
  rows_duplicate    BIGINT NOT NULL,
  ingested_at       TIMESTAMP NOT NULL,
  -- rows_in = rows_staged + rows_quarantined, checked before the load commits.
  CHECK (rows_in = rows_staged + rows_quarantined)
);

-- Every row that did not reach staging, with why. `line` is the 1-based line of a text file (the
-- row number for Parquet); `row_index` the 0-based data row; `raw` the values as read, as JSON.
CREATE TABLE IF NOT EXISTS wh_quarantine (
  sha256         VARCHAR NOT NULL,
  staging_table  VARCHAR NOT NULL,
  row_index      BIGINT NOT NULL,
  line           BIGINT,
  reasons        VARCHAR[] NOT NULL,
  raw            JSON
);
