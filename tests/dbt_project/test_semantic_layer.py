"""The MetricFlow semantic layer (dbt_project/models/semantic/) answers from the published file.

A sandbox world built by dbt is published as a run publishes it (its checks recorded, then
``orchestration.publication.publish`` copies the certified tables into a new file: see
tests/reports/certified_file.py), from a copy of the built warehouse. ``mf`` runs as ``make mf``
runs it (scripts/mf.py): the semantic manifest parsed for the profile's ``published`` target in a
project folder of its own, the published file opened read-only.

On that file ``mf validate-configs`` passes (semantic and warehouse checks), the semantic manifest
names only tables of the published file, and ``mf query`` answers equal the same aggregation of
the certified tables computed here in SQL: spend and cost per lead by month and channel
(cost_per_stage_channel_monthly: the ratio metric is sum(spend) / sum(leads) over two other
tables), leads by day (funnel_daily), the cohort lead -> mql rate (funnel_cohorts). The
default-model attribution metrics follow the dbt var ``default_attribution_model`` (by month and
channel): the project's default, and ``w_shaped`` on a copy of the warehouse whose
pipeline_attribution_monthly is rebuilt with that var, then published. A certified table
rewritten in the working warehouse after the publication changes no answer: ``mf`` reads the
publication.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from scripts.mf import environment, parse, published_project
from tests.reports.certified_file import write_certified_file
from tests.support.pipeline import dbt

WORLD = {"seed": 3, "scale": 300}
MF = str(Path(sys.executable).parent / "mf")
#: where a test's publication is written, under its work folder
PUBLISHED = Path("published") / "certified.duckdb"


def publish_copy(warehouse: Path, workdir: Path, run_id: str) -> Path:
    """Copy a dbt-built warehouse into ``workdir`` and publish it there (``workdir/PUBLISHED``)
    as a run would: its checks first, then the publication; returns ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    if warehouse != workdir / "warehouse.duckdb":
        shutil.copyfile(warehouse, workdir / "warehouse.duckdb")
    write_certified_file(workdir / "warehouse.duckdb", workdir / PUBLISHED, run_id=run_id)
    return workdir


def mf_runner(workdir: Path, project: Path):
    """A function running ``mf`` on the published file of ``workdir`` as ``make mf`` runs it, in
    the project folder ``project``; ``.workdir``, ``.project`` and ``.published`` name them."""
    published = workdir / PUBLISHED
    project = published_project(project)
    env = environment(project, published)
    parsed = parse(project, env)
    assert parsed.returncode == 0, f"dbt parse failed:\n{parsed.stdout[-4000:]}{parsed.stderr}"

    def run(*args: str) -> str:
        result = subprocess.run(
            [MF, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, (
            f"mf {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        return result.stdout

    run.workdir = workdir
    run.project = project
    run.published = published
    return run


@pytest.fixture(scope="module")
def mf(built_warehouse, tmp_path_factory):
    """Run ``mf`` on a publication of the built warehouse; returns a function of the arguments."""
    warehouse = built_warehouse(**WORLD)
    workdir = publish_copy(
        warehouse.workdir / "warehouse.duckdb", tmp_path_factory.mktemp("published"), "mf-test"
    )
    return mf_runner(workdir, tmp_path_factory.mktemp("mf_project"))


def query(mf, metrics: str, group_by: str) -> list[dict]:
    """``mf query`` written to a CSV file; the rows as dicts of text."""
    out = mf.project / f"{metrics}-by-{group_by}.csv".replace(",", "+")
    mf("query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out))
    with out.open(newline="") as f:
        return list(csv.DictReader(f))


def sql(mf, statement: str) -> list[tuple]:
    """A statement on the working warehouse the publication was copied from."""
    with duckdb.connect(str(mf.workdir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(statement).fetchall()


def published_sql(mf, statement: str) -> list[tuple]:
    """A statement on the published file (its tables in the default schema)."""
    with duckdb.connect(str(mf.published), read_only=True) as con:
        return con.execute(statement).fetchall()


def number(text: str) -> float | None:
    return None if text in ("", "None", "nan") else float(text)


def key_of(value: str) -> str | date:
    """A group-by value as MetricFlow writes it: times as `2025-03-01 00:00:00` -> a date."""
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return value


def compare(
    mf,
    metrics: dict[str, str | None],
    group_by: tuple[str, ...],
    certified_sql: str,
    what: str,
    read=sql,
) -> int:
    """``mf query`` of ``metrics`` (name -> certified column) by ``group_by`` against the
    certified rows of ``certified_sql`` (grain columns, then one column per metric, in order),
    run by ``read`` (on the working warehouse the publication was copied from, by default).

    Tables are sparse and MetricFlow returns a row where any input table has one, so a key
    missing on one side means 0 for an additive metric and null for a ratio
    (``metrics[name] is None`` marks a ratio). Returns the number of keys compared.
    """
    want = {row[: len(group_by)]: row[len(group_by) :] for row in read(mf, certified_sql)}
    return compare_to(mf, metrics, group_by, want, what)


def compare_to(
    mf,
    metrics: dict[str, str | None],
    group_by: tuple[str, ...],
    want: dict[tuple, tuple],
    what: str,
) -> int:
    """``mf query`` of ``metrics`` by ``group_by`` against ``want`` (grain key -> one value per
    metric, in order), as :func:`compare` describes; returns the number of keys compared."""
    assert want, f"{what}: nothing to compare with"
    rows = query(mf, ",".join(metrics), ",".join(group_by))
    got = {tuple(key_of(r[g]) for g in group_by): r for r in rows}
    problems = []
    for key in sorted(set(got) | set(want), key=str):
        for i, (name, kind) in enumerate(metrics.items()):
            default = None if kind is None else 0.0
            actual = number(got[key][name]) if key in got else default
            expected = want[key][i] if key in want else default
            if actual is None or expected is None:
                ok = actual is None and expected is None
            else:
                ok = math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-6)
            if not ok:
                problems.append(f"{key} {name}: mf {actual!r}, certified {expected!r}")
    assert not problems, f"{what}: {len(problems)} differences:\n" + "\n".join(problems[:20])
    return len(set(got) | set(want))


#: the velocity metrics and the certified column (and ground-truth field) each must equal
VELOCITY = {
    "opportunities_created": "opportunities",
    "win_rate": "win_rate",
    "avg_won_amount": "avg_won_amount",
    "sales_cycle_days": "avg_days_to_close_won",
    "pipeline_velocity": "pipeline_velocity",
}


def _velocity_truth(built_warehouse, month_totals: bool) -> dict[tuple, tuple]:
    """The ground truth's velocity rows (sandbox/truth.py, computed from the world model in
    plain Python): by month and channel, or the month-total rows by month."""
    from sandbox.truth import ALL_CHANNELS

    rows = built_warehouse(**WORLD).truth.table("opportunity_velocity_monthly")
    if month_totals:
        return {
            (r["month"],): tuple(r[c] for c in VELOCITY.values())
            for r in rows
            if r["channel"] == ALL_CHANNELS
        }
    return {
        (r["month"], r["channel"]): tuple(r[c] for c in VELOCITY.values())
        for r in rows
        if r["channel"] != ALL_CHANNELS
    }


def test_velocity_metrics_by_month_and_channel_equal_the_ground_truth(mf, built_warehouse):
    want = _velocity_truth(built_warehouse, month_totals=False)
    assert any(v[4] is not None for v in want.values()), "no velocity: the test proves little"
    metrics = {m: ("sum" if m == "opportunities_created" else None) for m in VELOCITY}
    compare_to(mf, metrics, ("metric_time__month", "channel"), want, "velocity by channel")


def test_velocity_metrics_by_month_equal_the_ground_truths_month_totals(mf, built_warehouse):
    """Summed over channels, the ratios are re-aggregated (won / closed of the month, mean days
    through their sum), not averaged: they equal the truth's month-total rows."""
    want = _velocity_truth(built_warehouse, month_totals=True)
    metrics = {m: ("sum" if m == "opportunities_created" else None) for m in VELOCITY}
    compare_to(mf, metrics, ("metric_time__month",), want, "velocity by month")


def test_lead_to_booking_metrics_equal_the_ground_truth(mf, built_warehouse):
    rows = built_warehouse(**WORLD).truth.table("lead_to_booking_monthly")
    want = {
        (r["cohort_month"], r["channel"]): (r["lead_to_booking_rate"], r["bookings"]) for r in rows
    }
    assert any(v[1] for v in want.values()), "no bookings: the test proves little"
    compare_to(mf, {"lead_to_booking_rate": None, "bookings": "sum"},
               ("metric_time__month", "channel"), want, "lead to booking")  # fmt: skip


def test_romi_equals_the_ground_truth_by_channel_and_by_month(mf, built_warehouse):
    truth = built_warehouse(**WORLD).truth
    rows = truth.table("cost_per_stage_channel_monthly")
    want = {(r["month"], r["channel"]): (r["romi"],) for r in rows}
    assert any(v[0] is not None for v in want.values())
    compare_to(mf, {"romi": None}, ("metric_time__month", "channel"), want, "romi by channel")
    # by month: the gross profit of every channel's won revenue less all spend, over all spend
    margin = truth.settings.gross_margin
    monthly: dict[tuple, list[float]] = {}
    for r in rows:
        won_spend = monthly.setdefault((r["month"],), [0.0, 0.0])
        won_spend[0] += r["attributed_won_revenue"]
        won_spend[1] += r["spend"]
    want = {k: ((w * margin - s) / s if s else None,) for k, (w, s) in monthly.items()}
    compare_to(mf, {"romi": None}, ("metric_time__month",), want, "romi by month")


def test_validate_configs(mf):
    output = mf("validate-configs")
    results = [line for line in output.replace("\r", "\n").splitlines() if "ERRORS:" in line]
    checks = ("semantics of built manifest", "semantic models against data warehouse",
              "dimensions against data warehouse", "entities against data warehouse",
              "measures against data warehouse", "metrics against data warehouse")  # fmt: skip
    for check in checks:
        assert any(check in line and "(ERRORS: 0," in line for line in results), (check, output)


def test_spend_and_cost_per_lead_by_month_and_channel(mf):
    # cpl is a ratio metric over two other certified tables (spend_daily / funnel_daily),
    # so this also checks that sum(spend) / sum(leads) is the certified cost per lead
    compared = compare(
        mf,
        {"spend": "sum", "leads": "sum", "cpl": None},
        ("metric_time__month", "channel"),
        """
        select month, channel, sum(spend), sum(leads), sum(spend) / nullif(sum(leads), 0)
        from certified.cost_per_stage_channel_monthly
        group by month, channel
        """,
        "spend, leads, cpl by month and channel",
    )
    assert compared > 20


def test_cost_per_stage_and_roi_equal_the_certified_columns(mf):
    compare(
        mf,
        {"cost_per_mql": None, "cac": None, "pipeline_roi": None, "roas": None},
        ("metric_time__month", "channel"),
        """
        select month, channel, cost_per_mql, cac, pipeline_roi, roas
        from certified.cost_per_stage_channel_monthly
        """,
        "cost per stage and ROI by month and channel",
    )


def test_pacing_equals_the_certified_budget_table(mf):
    compare(
        mf,
        {"planned_spend": "sum", "pacing": None, "budget_variance": "sum"},
        ("metric_time__month", "channel"),
        """
        select month, channel, planned_spend, pacing, variance
        from certified.budget_vs_actual_monthly
        """,
        "budget vs actual by month and channel",
    )


def test_leads_by_day(mf):
    compare(
        mf,
        {"leads": "sum", "mqls": "sum"},
        ("metric_time__day",),
        """
        select date, sum(entered_lead), sum(entered_mql)
        from certified.funnel_daily group by date
        """,
        "leads and mqls by day",
    )


def test_cohort_lead_to_mql_rate_equals_the_certified_column(mf):
    compare(
        mf,
        {"cohort_conv_lead_to_mql": None},
        ("metric_time__month", "channel"),
        "select cohort_month, channel, conv_lead_to_mql from certified.funnel_cohorts",
        "cohort lead -> mql rate",
    )


def test_default_model_metrics_equal_the_default_models_rows(mf):
    compare(
        mf,
        {"attributed_pipeline": "sum", "attributed_won_revenue": "sum"},
        ("metric_time__month", "channel"),
        """
        select month, channel, sum(attributed_pipeline), sum(attributed_won_revenue)
        from certified.pipeline_attribution_monthly
        where attribution_model = 'position_based'
        group by month, channel
        """,
        "default-model attribution (position_based) by month and channel",
    )


def test_default_model_metrics_follow_the_var(built_warehouse, tmp_path):
    """With ``--vars '{default_attribution_model: w_shaped}'`` the certified table marks the
    w_shaped rows as the default model, and, once published, ``attributed_pipeline`` answers
    w_shaped's sums, which differ from position_based's by month and channel: the metric is not
    tied to one model."""
    warehouse = built_warehouse(**WORLD)
    workdir = tmp_path / "w_shaped"
    workdir.mkdir()
    shutil.copy(warehouse.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    dbt(workdir, "run", "--select", "pipeline_attribution_monthly",
        vars={"default_attribution_model": "w_shaped"})  # fmt: skip
    publish_copy(workdir / "warehouse.duckdb", workdir, "w-shaped")
    run = mf_runner(workdir, tmp_path / "mf_project")
    marked = published_sql(
        run,
        "select distinct attribution_model from certified.pipeline_attribution_monthly"
        " where is_default_model",
    )
    assert marked == [("w_shaped",)]

    def by_month_and_channel(model: str) -> str:
        return f"""
            select month, channel, sum(attributed_pipeline), sum(attributed_won_revenue)
            from certified.pipeline_attribution_monthly
            where attribution_model = '{model}'
            group by month, channel
        """

    # by channel: summed over channels every model gives the month's whole pipeline (each
    # opportunity's credits sum to 1), so month totals cannot tell two models apart
    compared = compare(
        run,
        {"attributed_pipeline": "sum", "attributed_won_revenue": "sum"},
        ("metric_time__month", "channel"),
        by_month_and_channel("w_shaped"),
        "default-model attribution with default_attribution_model = w_shaped",
    )
    assert compared > 20
    w_shaped = {r[:2]: r[2] for r in sql(run, by_month_and_channel("w_shaped"))}
    position_based = {r[:2]: r[2] for r in sql(run, by_month_and_channel("position_based"))}
    differ = [
        key
        for key in set(w_shaped) | set(position_based)
        if not math.isclose(w_shaped.get(key, 0.0), position_based.get(key, 0.0), abs_tol=1e-6)
    ]
    assert differ, "w_shaped and position_based agree everywhere: the test could tell neither"


def test_the_semantic_manifest_names_only_published_tables(mf):
    """Every semantic model's table, as ``mf`` will name it, is a table of the published file
    (named by its catalog, the file's name, and its default schema, as DuckDB lists them)."""
    manifest = json.loads((mf.project / "target" / "semantic_manifest.json").read_text())
    named = {m["name"]: m["node_relation"]["relation_name"] for m in manifest["semantic_models"]}
    published = {
        f'"{catalog}"."{schema}"."{table}"'
        for catalog, schema, table in published_sql(
            mf,
            "select table_catalog, table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE'",
        )
    }
    assert len(named) == 10, named
    assert not {m: r for m, r in named.items() if r not in published}, (named, published)


def test_mf_reads_the_publication_not_the_working_warehouse(mf, tmp_path):
    """A certified table rewritten in the working warehouse after the publication (by a dbt run
    outside Dagster, an edit, an attacker) is what no check approved: ``mf`` still answers the
    published figures, not the rewritten ones."""
    workdir = tmp_path / "tampered"
    (workdir / PUBLISHED).parent.mkdir(parents=True)
    shutil.copyfile(mf.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    shutil.copyfile(mf.published, workdir / PUBLISHED)
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        con.execute("update certified.spend_daily set spend = spend * 10 + 1")
    run = mf_runner(workdir, tmp_path / "mf_project")
    by_month_and_channel = """
        select cast(date_trunc('month', date) as date), channel, sum(spend)
        from certified.spend_daily group by 1, 2
    """
    published = {r[:2]: r[2] for r in published_sql(run, by_month_and_channel)}
    working = {r[:2]: r[2] for r in sql(run, by_month_and_channel)}
    assert published.keys() == working.keys()
    assert all(working[k] > published[k] for k in published), "the rewrite changed nothing"
    compare(run, {"spend": "sum"}, ("metric_time__month", "channel"), by_month_and_channel,
            "spend by month and channel after the working warehouse was rewritten",
            read=published_sql)  # fmt: skip
