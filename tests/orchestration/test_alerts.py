"""A failed run reaches a person: the sensor ``notify_on_run_failure`` posts one message per
failed run to a webhook, here a real HTTP receiver on 127.0.0.1.

The failed runs are real, ``dagster asset materialize`` in a scratch instance on an empty
warehouse: a dbt model whose source was never loaded (dbt fails), then the publish asset alone
(the publication gate refuses: nothing checked to publish). Each failure is in the run's row of
the publication log with its reason. The sensor is ticked in this process against that
instance, as the daemon ticks it, carrying its cursor from tick to tick.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest

from orchestration.defs.alerts import notify_on_run_failure
from sandbox.loading import environment
from tests.support.dagster_cli import materialize
from warehouse.settings import redact

SECRET = "fake-api-key-for-the-test-0123456789"


@pytest.fixture
def receiver():
    """A webhook on 127.0.0.1 that keeps what it is sent."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/{SECRET[-8:]}", received
    server.shutdown()


def _tick(instance: dg.DagsterInstance, cursor: str | None) -> str | None:
    definitions = dg.Definitions(sensors=[notify_on_run_failure])
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=definitions)
    return notify_on_run_failure.evaluate_tick(context).cursor


def test_one_message_per_failed_run_without_a_secret(tmp_path, receiver):
    url, received = receiver
    env = {"ALERT_WEBHOOK_URL": url, "SOURCES__HUBSPOT__API_KEY": SECRET}
    home = tmp_path / "dagster_home"
    run = materialize('key:"staging/stg_fx__rates"', tmp_path, env)  # makes the instance's home
    assert run.returncode != 0, "a model on a source never loaded must fail"

    with environment(env):
        instance = dg.DagsterInstance.from_config(str(home))
        # the daemon's first tick starts at the latest event: runs before it are not told
        failed_runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        assert len(failed_runs) == 1
        cursor = _tick(instance, None)
        assert received == []

        run = materialize('key:"published/certified"', tmp_path, env)
        assert run.returncode != 0, "publishing nothing checked must fail"
        cursor = _tick(instance, cursor)
        cursor = _tick(instance, cursor)  # and again: nothing new to tell
        _tick(instance, cursor)

    assert len(received) == 1, received
    text = received[0]["text"]
    (latest,) = [
        r for r in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        if r.run_id not in {f.run_id for f in failed_runs}
    ]  # fmt: skip
    assert latest.run_id in text
    assert "step published__certified: Failure: not published:" in text, text
    assert "quarantine.quarantine_records: missing" in text, text
    assert f"/runs/{latest.run_id}" in text
    assert SECRET not in text and SECRET[-8:] not in text

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        logged = dict(
            con.execute(
                "select run_id, status || ' ' || reason from audit.publication_log"
            ).fetchall()
        )
    assert logged[failed_runs[0].run_id].startswith("failed dbt_models: dbt build failed (1 nodes)")
    assert "stg_fx__rates error" in logged[failed_runs[0].run_id]
    assert logged[latest.run_id].startswith("refused not published: ")


def test_redact_replaces_every_secret_setting_and_the_webhook():
    environ = {
        "SOURCES__HUBSPOT__API_KEY": "abcd1234",
        "SOURCES__MARKETO__CLIENT_SECRET": "zz-secret-zz",
        "PGPASSWORD": "pw-9876",
        "ALERT_WEBHOOK_URL": "https://hooks.example/T1/B2/xyz",
        "WAREHOUSE_PATH": "/data/warehouse.duckdb",  # not a secret: kept
    }
    text = (
        "GET /crm?key=abcd1234 failed; secret zz-secret-zz; postgres pw-9876; "
        "posting to https://hooks.example/T1/B2/xyz; file /data/warehouse.duckdb"
    )
    assert redact(text, environ) == (
        "GET /crm?key=*** failed; secret ***; postgres ***; posting to ***; "
        "file /data/warehouse.duckdb"
    )
