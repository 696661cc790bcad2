"""The overhead benchmark runs what dbt ran: its statements read from a hand-made dbt log (the
shape of dbt's JSON log events) and replayed on a small warehouse, the expected tables worked
out by hand."""

from __future__ import annotations

import json

import duckdb

from benchmarks.overhead_bench import read_statements, replay_child


def _event(name: str, thread: str, **data) -> str:
    return json.dumps({"info": {"name": name, "thread": thread}, "data": data})


def test_statements_keep_their_thread_order_and_seconds_and_a_seed_copy_loses_its_dots(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(
        "\n".join(
            [
                "not json: dbt's first line",
                _event("SQLQuery", "T1", sql="begin"),
                _event("SQLQuery", "T2", sql="select 1"),
                _event("SQLQueryStatus", "T2", elapsed=0.5),
                _event("SQLQueryStatus", "T1", elapsed=0.25),
                _event(
                    "SQLQuery", "T1", sql="\n  COPY t FROM './seeds/t.csv' (FORMAT CSV)\n    ..."
                ),
                _event("Rollback", "T2"),
                _event("ConnectionClosed", "T1"),
            ]
        )
    )
    statements = read_statements(log)
    assert [(s["kind"], s["thread"]) for s in statements] == [
        ("sql", "T1"), ("sql", "T2"), ("sql", "T1"), ("rollback", "T2"), ("close", "T1"),
    ]  # fmt: skip
    assert [s.get("elapsed") for s in statements[:2]] == [0.25, 0.5]
    assert statements[2]["sql"] == "\n  COPY t FROM './seeds/t.csv' (FORMAT CSV)\n    "


def test_the_replay_runs_each_thread_on_its_own_cursor_with_its_transactions(tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    log = tmp_path / "dbt.log"
    log.write_text(
        "\n".join(
            [
                _event("SQLQuery", "T1", sql="create table kept as select 1 as id"),
                # T2 opens a transaction, writes, and dbt rolls it back: nothing of it is kept
                _event("SQLQuery", "T2", sql="begin"),
                _event("SQLQuery", "T2", sql="create table rolled_back as select 2 as id"),
                _event("Rollback", "T2"),
                _event("SQLQuery", "T2", sql="create table after_rollback as select 4 as id"),
                # a temporary table lives on its thread's cursor until dbt closes the connection
                _event("SQLQuery", "T1", sql="create temporary table staged as select 3 as id"),
                _event("SQLQuery", "T1", sql="insert into kept select id from staged"),
                _event("ConnectionClosed", "T1"),
                _event(
                    "SQLQuery",
                    "T1",
                    sql="create table after_close as select count(*) as n "
                    "from duckdb_tables() where table_name = 'staged'",
                ),
                # a rollback with no transaction open is no error: dbt rolls back only open ones
                _event("Rollback", "T1"),
            ]
        )
    )
    replay_child(log, warehouse)
    assert json.loads(capsys.readouterr().out)["statements"] == 10
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute("select table_name from duckdb_tables()").fetchall()
        tables = {name for (name,) in names}
        assert tables == {"kept", "after_rollback", "after_close"}
        assert sorted(con.execute("select id from kept").fetchall()) == [(1,), (3,)]
        assert con.execute("select n from after_close").fetchone() == (0,)
