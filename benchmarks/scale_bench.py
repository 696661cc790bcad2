"""dbt build and validation time past what the sandbox can load: a loaded world's people, copied.

Loading a million people through the sandbox takes hours on this machine (100k take about 23
minutes), so the 1M figures start from a world loaded by ``dbt_bench.py --keep DIR`` (its
``before`` and ``after`` warehouses, ``--advance-days`` apart: SCALE_RESULTS.md says how many for
each figure) and copy every person-level raw table
``--copies`` times: HubSpot contacts, companies, deals and their associations, Marketo leads,
activities and program members. Each copy offsets every key (and tags every email), so it is a
distinct set of people with the same histories; the campaign-level tables (ad days, programs, FX)
stay as loaded, as campaigns do not grow with people. Copying ``after`` the same way gives the
incremental run ten times the real changes of those days.

Measured: a full ``dbt build``, the Great Expectations suites (certified alone, then all), an
incremental ``dbt build`` after the change, and ``--full-refresh`` on a copy; dbt's peak memory.

    python benchmarks/scale_bench.py --keep /tmp/dbt_bench --copies 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, write_results  # noqa: E402
from benchmarks.dbt_bench import dbt_build, incremental_and_full_refresh, progress  # noqa: E402

# 10^8 is above every key the sandbox hands out (deals start at 9,000,000)
KEY_OFFSET = 100_000_000


def _offset(column: str) -> str:
    return f"({column} + k * {KEY_OFFSET})"


def _offset_text(column: str) -> str:
    return f"cast(cast({column} as bigint) + k * {KEY_OFFSET} as varchar)"


def _offset_list(column: str) -> str:
    """HubSpot's ;-separated id lists (hs_merged_object_ids)."""
    return (
        f"array_to_string(list_transform(string_split({column}, ';'), "
        f"x -> cast(cast(x as bigint) + k * {KEY_OFFSET} as varchar)), ';')"
    )


def _tag_email(column: str) -> str:
    return f"replace({column}, '@', '+copy' || k || '@')"


# person-level tables and how each copy rewrites a column (others are copied as they are)
COPIED = {
    ("raw_hubspot", "contacts"): {
        "id": _offset_text, "email": _tag_email, "hs_merged_object_ids": _offset_list,
        "associatedcompanyid": _offset_text,
    },
    ("raw_hubspot", "companies"): {"id": _offset_text, "hs_merged_object_ids": _offset_list},
    ("raw_hubspot", "deals"): {"id": _offset_text, "hs_merged_object_ids": _offset_list},
    ("raw_hubspot", "deal_contacts"): {"deal_id": _offset_text, "contact_id": _offset_text},
    ("raw_hubspot", "deal_companies"): {"deal_id": _offset_text, "company_id": _offset_text},
    ("raw_marketo", "leads"): {"id": _offset, "email": _tag_email},
    ("raw_marketo", "activities"): {
        "id": _offset, "lead_id": _offset,
        "marketo_guid": lambda c: f"({c} || '.' || k)",
    },
    ("raw_marketo", "program_members"): {"lead_id": _offset},
}  # fmt: skip


def replicate(source: Path, target: Path, copies: int) -> dict[str, int]:
    """Write `source` to `target` with every person-level table holding `copies` copies."""
    import duckdb

    shutil.copy2(source, target)
    rows = {}
    with duckdb.connect(str(target)) as con:
        con.execute("set enable_progress_bar = false")
        for (schema, table), rewrites in COPIED.items():
            columns = [
                c for (c,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
            ]  # fmt: skip
            rewrites = {**rewrites, "_dlt_id": lambda c: f"({c} || '.' || k)"}
            select = ", ".join(
                rewrites[c](f'"{c}"') if c in rewrites else f'"{c}"' for c in columns
            )
            con.execute(
                f'insert into "{schema}"."{table}" select {select} '
                f'from "{schema}"."{table}", range(1, {copies}) as copy(k)'
            )
            rows[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
    return rows


def validate(workdir: Path) -> dict:
    """Seconds for the certified suites, then all suites (Great Expectations' start included)."""
    os.environ.update({
        "WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
        "QUALITY_DOCS_DIR": str(workdir / "quality_docs"),
        "CERTIFIED_PATH": str(workdir / "certified.duckdb"),
    })  # fmt: skip
    from expectations.runner import validate as run_suites
    from expectations.suites import enabled_suites

    # the suites a run validates: the certified tables' and the enabled sources' raw tables
    suites = enabled_suites()
    timings = {}
    for name, tables in (
        ("certified_suites_s", [s.table for s in suites.values() if s.schema == "certified"]),
        ("all_suites_s", [s.table for s in suites.values()]),
    ):
        started = time.perf_counter()
        run_suites(tables)
        timings[name] = round(time.perf_counter() - started, 1)
    timings["suites"] = len(suites)
    return timings


def dbt_peak_rss_mb(*builds: dict) -> int:
    """The largest peak resident memory of the dbt builds, each its own process's
    (``run_measured``). Not ``RUSAGE_CHILDREN``: that started from this process's own peak,
    which copying the warehouse ten times brings to about 6.8 GB, so it reported that for dbt."""
    return max(b["peak_mb"] for b in builds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, required=True,
                        help="a dbt_bench.py --keep folder")  # fmt: skip
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--workdir", type=Path,
                        help="work here, created if missing (default: a temporary folder); at"
                        " --copies 10 it needs about 22 GB free: two 9.4 GB warehouses and the"
                        " copied later load")  # fmt: skip
    args = parser.parse_args()
    before, after = (
        args.keep / "before" / "warehouse.duckdb",
        args.keep / "after" / "warehouse.duckdb",
    )
    if not (before.exists() and after.exists()):
        raise SystemExit(
            f"{args.keep} has no loaded before/after warehouses: run dbt_bench.py --keep"
        )
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp) / "incremental"
        work.mkdir()
        progress(f"copying the people of {before} {args.copies} times")
        started = time.perf_counter()
        rows = replicate(before, work / "warehouse.duckdb", args.copies)
        progress(f"copied in {time.perf_counter() - started:.0f} s: {rows}")
        progress("dbt build (every model built in full)")
        full = dbt_build(work)
        progress(f"full build {full['seconds']} s; validating")
        validation = validate(work)
        progress(f"validation {validation}")
        replicate(after, Path(tmp) / "after.duckdb", args.copies)
        incremental, full_refresh = incremental_and_full_refresh(
            work, Path(tmp) / "after.duckdb", "the later load's changes, copied alike"
        )

    result = {
        "step": "dbt_build_and_validation",
        "source": str(args.keep),
        "copies": args.copies,
        "raw_rows": rows,
        "full": full,
        "validation": validation,
        "incremental": incremental,
        "full_refresh": full_refresh,
        "dbt_peak_rss_mb": dbt_peak_rss_mb(full, incremental, full_refresh),
    }
    print(json.dumps(result), flush=True)
    print(f"written to {write_results(f'scale_x{args.copies}', [result]).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
