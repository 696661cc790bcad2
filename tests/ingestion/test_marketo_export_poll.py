"""A bulk lead extract's status poll that times out does not end the load: the job runs on in
Marketo, so the poll is tried again, within the job's deadline; a wrong credential still fails
at once, and a deadline still ends the wait."""

from __future__ import annotations

import pytest
import requests

from ingestion.marketo import helpers, settings
from ingestion.marketo.helpers import MarketoAuthError, MarketoError


class Polls:
    """A client whose status answers are scripted: an exception is raised, a string answered."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    def get(self, path):
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else self.answers_last
        if isinstance(answer, BaseException):
            raise answer
        return {"result": [{"status": answer}]}

    answers_last = requests.ReadTimeout("read timed out")


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(settings, "EXPORT_POLL_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(settings, "EXPORT_POLL_MAX_SECONDS", 0.02)


def test_a_timed_out_poll_is_polled_again():
    client = Polls([requests.ReadTimeout("read timed out"), MarketoError("marketo: HTTP 503"),
                    "Processing", "Completed"])  # fmt: skip
    helpers._wait_for_export(client, "e-1")
    assert client.calls == 4


def test_a_refused_credential_fails_at_once():
    client = Polls([MarketoAuthError("marketo: refused"), "Completed"])
    with pytest.raises(MarketoAuthError):
        helpers._wait_for_export(client, "e-1")
    assert client.calls == 1


def test_polls_that_keep_failing_end_at_the_deadline(monkeypatch):
    monkeypatch.setattr(settings, "EXPORT_TIMEOUT_SECONDS", 0.1)
    client = Polls([])  # every poll times out
    with pytest.raises(MarketoError, match="e-1: its status could not be read .ReadTimeout."):
        helpers._wait_for_export(client, "e-1")
    assert client.calls > 1
