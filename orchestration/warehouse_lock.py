"""DuckDB allows one writer per database file: every asset that writes the warehouse runs in
this Dagster concurrency pool, whose limit is 1 (``dagster_home/dagster.yaml``). Steps of one
run and steps of concurrent runs therefore queue for the warehouse instead of failing with
DuckDB's ``Could not set lock on file``."""

WAREHOUSE_POOL = "duckdb_warehouse"
