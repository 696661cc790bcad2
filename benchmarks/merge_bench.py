"""dlt's merge of a first Marketo load under DuckDB memory limits, reproduced apart.

A first load at 1M people fails in dlt's merge job of ``raw_marketo.activities``
(``LOAD_RESULTS.md``): dlt merges a table with a primary key by deleting the staged keys from the
target and inserting the staged rows numbered by ``ROW_NUMBER() OVER (PARTITION BY <key>)``, the
first of each key, so the whole package is deduplicated at once. This runs those two statements
(:func:`merge_statements`, the SQL dlt writes for the project's DuckDB destination; the test
suite compares them with a package of dlt's own) on a staging table made of a kept load's
activities copied ``N`` times with distinct ``marketo_guid`` values, an empty target, in one
transaction that is rolled back, under each memory limit, each in a new process that reports
its peak resident memory. It prints a table: rows, merge, limit, passed or failed, seconds,
peak MB. Each limit runs two merges side by side: dlt's numbered deduplication, and the merge
dlt writes when the staging data is declared deduplicated (the Marketo activities resource
declares it: it drops the repeats itself, ``ingestion/marketo/README.md``).

    python benchmarks/merge_bench.py --keep DIR [--copies 1,4,12] [--limits 512MB,1GB,3GB]
        [--merges numbered,deduplicated]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import peak_rss_mb, run_child  # noqa: E402

TABLE = "activities"
KEY = "marketo_guid"


def merge_statements(
    columns: list[str], key: str = KEY, table: str = TABLE, deduplicated: bool = False
) -> list[str]:
    """dlt's merge of ``raw_staging.<table>`` into ``raw.<table>`` (primary key ``key``); with
    `deduplicated`, the merge of a table whose staging data is declared deduplicated
    (``write_disposition={"disposition": "merge", "deduplicated": True}``): no numbering."""
    cols = ", ".join(f'"{c}"' for c in columns)
    delete = (
        f'DELETE FROM "raw"."{table}" as d WHERE EXISTS (SELECT 1 FROM "raw_staging"."{table}"'
        f' as s WHERE d."{key}" = s."{key}")'
    )
    if deduplicated:
        return [delete, f'INSERT INTO "raw"."{table}"({cols}) SELECT {cols} FROM'
                f' "raw_staging"."{table}" WHERE 1 = 1']  # fmt: skip
    return [
        delete,
        f'INSERT INTO "raw"."{table}"({cols}) SELECT {cols} FROM (SELECT ROW_NUMBER() OVER'
        f' (partition BY "{key}" ORDER BY (SELECT NULL)) AS _dlt_dedup_rn, {cols} FROM'
        f' "raw_staging"."{table}") AS _dlt_dedup_numbered WHERE _dlt_dedup_rn = 1 AND (1 = 1)',
    ]


def make_staging(kept: Path, target: Path, copies: int) -> int:
    """A database with an empty ``raw.activities`` and ``raw_staging.activities`` holding the
    kept load's activities ``copies`` times, each copy's GUIDs made distinct."""
    import duckdb

    with duckdb.connect(str(target)) as con:
        con.execute(f"ATTACH '{kept}' AS kept (READ_ONLY)")
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA raw_staging")
        con.execute(f"CREATE TABLE raw.{TABLE} AS SELECT * FROM kept.raw_marketo.{TABLE} LIMIT 0")
        con.execute(
            f"CREATE TABLE raw_staging.{TABLE} AS SELECT * REPLACE"
            f" ({KEY} || '-' || c.range AS {KEY}) FROM kept.raw_marketo.{TABLE}, range({copies}) c"
        )
        return con.execute(f"SELECT count(*) FROM raw_staging.{TABLE}").fetchone()[0]


def merge_child(database: Path, limit: str, threads: int, deduplicated: bool = False) -> None:
    """Run the merge once and print its outcome and this process's peak memory as JSON."""
    import duckdb

    con = duckdb.connect(str(database))
    con.execute(f"SET memory_limit = '{limit}'; SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    columns = [row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
        "AND table_name = ? ORDER BY ordinal_position", [TABLE]).fetchall()]  # fmt: skip
    con.execute("BEGIN")
    started = time.perf_counter()
    error = None
    try:
        for statement in merge_statements(columns, deduplicated=deduplicated):
            con.execute(statement)
    except duckdb.Error as err:
        error = str(err).splitlines()[0][:200]
    seconds = round(time.perf_counter() - started, 1)
    con.execute("ROLLBACK")
    print(json.dumps({"passed": error is None, "seconds": seconds, "error": error,
                      "peak_mb": round(peak_rss_mb())}))  # fmt: skip


def measure(database: Path, limit: str, threads: int, deduplicated: bool = False) -> dict:
    """The merge under `limit` in a fresh process: passed or not, seconds, peak MB."""
    args = ["--child", str(database), "--limit", limit, "--threads", str(threads)]
    args += ["--deduplicated"] if deduplicated else []
    return {**run_child(Path(__file__), args), "limit": limit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="a dbt_bench.py --keep folder (its after/)")
    parser.add_argument("--copies", default="1,4,12")
    parser.add_argument("--limits", default="512MB,1GB,3GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--merges",
        default="numbered,deduplicated",
        help="numbered (dlt's deduplication), deduplicated (staging declared deduplicated)",
    )
    parser.add_argument("--deduplicated", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help="work here (default: a temporary folder)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        merge_child(args.child, args.limit, args.threads, args.deduplicated)
        return
    kept = args.keep / "after" / "warehouse.duckdb"
    if not kept.exists():
        raise SystemExit(f"{kept} does not exist: see dbt_bench.py --keep")
    print("| staging rows | merge | memory limit | result | seconds | process peak MB |")
    print("|---:|---|---|---|---:|---:|")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for copies in (int(c) for c in args.copies.split(",")):
            database = Path(tmp) / f"merge_{copies}.duckdb"
            rows = make_staging(kept, database, copies)
            for limit in args.limits.split(","):
                # the two merges side by side under each limit
                for merge in args.merges.split(","):
                    r = measure(database, limit, args.threads, merge == "deduplicated")
                    result = "passed" if r["passed"] else f"failed: {r['error']}"
                    print(f"| {rows:,} | {merge} | {limit} | {result} | {r['seconds']} |"
                          f" {r['peak_mb']:,} |", flush=True)  # fmt: skip
            database.unlink()


if __name__ == "__main__":
    main()
