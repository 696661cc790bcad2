"""The merge benchmark runs dlt's own merge SQL, and tells a merge that ran out of memory from
one that passed."""

import re

import dlt
import duckdb
import pytest

from benchmarks.merge_bench import make_staging, measure, merge_statements


def _normal(sql: str) -> str:
    sql = " ".join(sql.split())
    return re.sub(r"\s+\)", ")", re.sub(r"\(\s+", "(", sql))


@pytest.mark.parametrize("deduplicated", [False, True])
def test_the_statements_are_those_dlt_writes_for_a_merge_table_with_a_primary_key(
    tmp_path, monkeypatch, deduplicated
):
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")

    @dlt.resource(
        name="activities", primary_key="marketo_guid",
        write_disposition={"disposition": "merge", "deduplicated": deduplicated},
        columns={"attributes": {"data_type": "json"}},
    )  # fmt: skip
    def activities():
        yield [{"marketo_guid": f"g{i}", "lead_id": i, "attributes": {"a": i}} for i in range(3)]

    database = tmp_path / "m.duckdb"
    pipeline = dlt.pipeline(
        "merge_sql", destination=dlt.destinations.duckdb(str(database)),
        pipelines_dir=str(tmp_path / "pipelines"), dataset_name="raw",
    )  # fmt: skip
    pipeline.run(activities())
    jobs = list((tmp_path / "pipelines").rglob("completed_jobs/activities.*.sql"))
    assert len(jobs) == 1, jobs
    written = [_normal(line) for line in jobs[0].read_text().splitlines() if line.strip()]
    with duckdb.connect(str(database), read_only=True) as con:
        columns = [row[0] for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = 'activities' ORDER BY ordinal_position").fetchall()]  # fmt: skip
    assert written == [_normal(s) for s in merge_statements(columns, deduplicated=deduplicated)]


def test_a_merge_that_runs_out_of_memory_is_reported_failed_and_the_unnumbered_one_streams(
    tmp_path,
):
    kept = tmp_path / "kept.duckdb"
    with duckdb.connect(str(kept)) as con:
        con.execute("CREATE SCHEMA raw_marketo")
        con.execute(
            "CREATE TABLE raw_marketo.activities AS SELECT 'g' || (i % 50000) AS marketo_guid,"
            " i AS lead_id, repeat('x', 200) AS attributes FROM range(100000) t(i)"
        )
    database = tmp_path / "merge.duckdb"
    assert make_staging(kept, database, 3) == 300_000
    roomy = measure(database, "2GB", 1)
    assert roomy["passed"], roomy
    starved = measure(database, "4MB", 1)
    assert not starved["passed"] and "memory" in starved["error"].lower(), starved
    # without the numbering the insert streams: the limit that starves the window is enough
    unnumbered = measure(database, "4MB", 1, deduplicated=True)
    assert unnumbered["passed"], unnumbered
