"""Alerts: a failed run, a refused publication included, reaches a person.

The sensor ``notify_on_run_failure`` watches every run of this code location. For each run that
fails it posts one message to ``ALERT_WEBHOOK_URL`` (a Slack-style incoming webhook: JSON
``{"text": ...}``; Slack, Mattermost, Google Chat and Teams' workflows accept it), naming the job,
the run, each failed step (its key names the layer: ``load_<source>``, ``dbt_models``,
``quality_<schema>``, ``published__certified``) and its error (a refused publication's error is its
reason: the table and the check), and a link to the run in the UI (``DAGSTER_WEBSERVER_URL``,
default ``http://127.0.0.1:3000``). Without ``ALERT_WEBHOOK_URL`` the sensor skips, saying so.

A message never carries a secret: every value of a setting whose name says it is one (``*KEY*``,
``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, the webhook's own URL) is replaced by ``***`` before
it leaves (:func:`warehouse.settings.redact`). The sensor runs in the daemon (``make ui``
starts it); Dagster keeps its cursor, so each failed run is told once.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request

import dagster as dg

from warehouse.settings import WEBHOOK_SETTING, redact

UI_SETTING = "DAGSTER_WEBSERVER_URL"
#: a message stays readable in a chat window
_MAX_ERROR = 600


def failure_message(run: dg.DagsterRun, step_failures: list[dg.DagsterEvent]) -> str:
    """What a person needs: which run, which steps, why, and where to look."""
    base = os.environ.get(UI_SETTING, "http://127.0.0.1:3000").rstrip("/")
    lines = [f"Dagster run failed: {run.job_name} (run {run.run_id})"]
    for event in step_failures:
        error = event.step_failure_data.error if event.step_failure_data else None
        lines.append(f"- step {event.step_key}: {_why(error)[:_MAX_ERROR]}")
    if not step_failures:
        lines.append("- the run failed outside any step (see the run's logs)")
    lines.append(f"{base}/runs/{run.run_id}")
    return redact("\n".join(lines))


def _why(error) -> str:
    """The innermost cause of a step's error (Dagster wraps the step's own exception)."""
    if error is None:
        return "no error message"
    while error.cause is not None:
        error = error.cause
    # "dagster._core.definitions.events.Failure: why" reads "Failure: why"
    return re.sub(r"^(?:\w+\.)+(\w+): ", r"\1: ", error.message.strip())


def post(url: str, text: str, timeout: float = 10.0) -> None:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the setting)
        response.read()


@dg.run_failure_sensor(
    name="notify_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    minimum_interval_seconds=30,
    description=(
        f"Posts one message per failed run (a refused publication included) to {WEBHOOK_SETTING}"
        ", naming the failed steps and their reasons, with a link to the run; never a secret."
    ),
)
def notify_on_run_failure(context: dg.RunFailureSensorContext):
    url = os.environ.get(WEBHOOK_SETTING, "").strip()
    if not url:
        return dg.SkipReason(f"{WEBHOOK_SETTING} is not set: failed runs are not sent anywhere")
    text = failure_message(context.dagster_run, context.get_step_failure_events())
    post(url, text)
    context.log.info(f"told {redact(url)} of run {context.dagster_run.run_id}")
    return None


defs = dg.Definitions(sensors=[notify_on_run_failure])
