"""Microsoft Advertising helpers: fail-fast auth, the submit/poll/download flow, the report CSV."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from dlt.sources.helpers.rest_client import RESTClient
from requests import PreparedRequest, Response
from requests.auth import AuthBase

from ingestion.http import config_list

from . import settings


class MicrosoftAdsCredentialsError(RuntimeError):
    """Microsoft refused the credentials: retrying cannot help, a setting must be fixed."""


class MicrosoftAdsReportError(RuntimeError):
    """The report could not be made or read (an API fault, an error status, a timeout)."""


class MicrosoftAdsAuth(AuthBase):
    """OAuth access token and developer token in headers; a 401/403 fails the run at once."""

    def __init__(self, access_token: str, developer_token: str, customer_id: str | None):
        self.access_token = access_token
        self.developer_token = developer_token
        self.customer_id = customer_id

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        request.headers["DeveloperToken"] = self.developer_token
        if self.customer_id:
            request.headers["CustomerId"] = self.customer_id
        request.register_hook("response", _fail_on_rejected_credentials)
        return request


def _fail_on_rejected_credentials(response: Response, *args: Any, **kwargs: Any) -> Response:
    if response.status_code not in (401, 403):
        return response
    codes = fault_codes(response)
    detail = f"; {codes}" if codes else ""
    raise MicrosoftAdsCredentialsError(
        f"microsoft_ads: the credentials were rejected ({response.status_code}{detail}); set "
        f"{settings.SETTING_ACCESS_TOKEN} and {settings.SETTING_DEVELOPER_TOKEN} (and "
        f"{settings.SETTING_CUSTOMER_ID} for accounts under another customer)"
    )


def fault_codes(response: Response) -> str:
    """``InvalidCredentials (105)`` from an ApiFaultDetail / AdApiFaultDetail; never free text."""
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = (body.get("Errors") or []) + (body.get("OperationErrors") or [])
    names = []
    for error in errors:
        name, code = str(error.get("ErrorCode", "")), str(error.get("Code", ""))
        if re.fullmatch(r"\w+", name) and re.fullmatch(r"\d*", code):
            names.append(f"{name} ({code})" if code else name)
    return ", ".join(names)


def as_id_list(value: Any) -> list[str]:
    value = config_list(value)
    return value


def ms_date(day: str) -> dict[str, int]:
    d = date.fromisoformat(str(day)[:10])
    return {"Day": d.day, "Month": d.month, "Year": d.year}


def report_request(account_ids: list[str], start: str, end: str) -> dict[str, Any]:
    """A daily campaign performance report of the accounts, every value quoted in a zipped CSV."""
    return {
        "ReportRequest": {
            "Type": settings.REPORT_TYPE,
            "ReportName": "campaign_performance_daily",
            "Format": "Csv",
            "FormatVersion": "2.0",
            "ReturnOnlyCompleteData": False,
            "Aggregation": "Daily",
            "Columns": list(settings.REPORT_COLUMNS),
            "Scope": {"AccountIds": [int(a) if a.isdigit() else a for a in account_ids]},
            "Time": {"CustomDateRangeStart": ms_date(start), "CustomDateRangeEnd": ms_date(end)},
        }
    }


def _checked(response: Response, step: str) -> dict[str, Any]:
    if response.status_code >= 400:
        codes = fault_codes(response) or response.reason
        raise MicrosoftAdsReportError(
            f"microsoft_ads: {step} failed ({response.status_code}; {codes})"
        )
    return response.json()


def run_report(client: RESTClient, request: dict[str, Any], timeout_seconds: float) -> str | None:
    """Submit the report, poll until Success (bounded), and return its download URL.

    None: the report has no rows (Microsoft answers Success without a URL).
    """
    submitted = _checked(client.post(settings.SUBMIT_PATH, json=request), "submitting the report")
    report_id = submitted["ReportRequestId"]
    deadline = time.monotonic() + timeout_seconds
    wait = settings.FIRST_POLL_SECONDS
    while True:
        polled = _checked(
            client.post(settings.POLL_PATH, json={"ReportRequestId": report_id}),
            f"polling report {report_id}",
        )
        status = polled["ReportRequestStatus"]
        if status["Status"] == "Success":
            return status.get("ReportDownloadUrl")
        if status["Status"] != "Pending":
            raise MicrosoftAdsReportError(
                f"microsoft_ads: report {report_id} ended with status {status['Status']}"
            )
        if time.monotonic() + wait > deadline:
            raise MicrosoftAdsReportError(
                f"microsoft_ads: report {report_id} was not ready after {timeout_seconds:.0f} s;"
                f" raise {settings.SETTING_REPORT_TIMEOUT} or load a shorter window"
            )
        time.sleep(wait)
        wait = min(wait * 2, settings.MAX_POLL_SECONDS)


def download(session: Any, url: str) -> IO[bytes]:
    """The zip behind a pre-signed URL, spooled to disk past 16 MB; no credentials are sent.

    The URL's query holds the signature, so errors name the URL without it.
    """
    response = session.get(url, stream=True)
    with response:
        if response.status_code >= 400:
            bare = urlunsplit(urlsplit(url)._replace(query=""))
            raise MicrosoftAdsReportError(
                f"microsoft_ads: downloading {bare} failed ({response.status_code})"
            )
        # returned open: the caller reads it and closes it (a context manager)
        spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115
        for chunk in response.iter_content(chunk_size=1 << 16):
            spool.write(chunk)
    spool.seek(0)
    return spool


def report_rows(archive: IO[bytes]) -> Iterator[list[dict[str, Any]]]:
    """Rows of the zipped report CSV, in batches, without its header block and footer.

    The CSV opens with quoted "Report Name: ..." lines, a blank line, the column names, the
    rows, a blank line and a copyright line. Rows are read between the column names and the
    first blank line.
    """
    with zipfile.ZipFile(archive) as zipped:
        member = next(n for n in zipped.namelist() if n.lower().endswith(".csv"))
        with zipped.open(member) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            columns = None
            for line in reader:
                if line and line[0] == settings.REPORT_COLUMNS[0]:
                    columns = line
                    break
            if columns is None:
                return
            batch: list[dict[str, Any]] = []
            for line in reader:
                if not line or not any(cell.strip() for cell in line):
                    break
                batch.append(typed_row(dict(zip(columns, line, strict=False))))
                if len(batch) >= settings.BATCH_SIZE:
                    yield batch
                    batch = []
            if batch:
                yield batch


def typed_row(record: dict[str, str]) -> dict[str, Any]:
    """Counts as integers, spend as a decimal, empty cells as nulls; the rest as text.

    A value that does not parse is passed on as sent, so the schema contract reports it.
    """
    row: dict[str, Any] = {}
    for column, value in record.items():
        parsed: Any = value if value != "" else None
        if column in settings.INTEGER_COLUMNS and parsed and re.fullmatch(r"-?\d+", parsed):
            parsed = int(parsed)
        elif column in settings.DECIMAL_COLUMNS and parsed:
            with contextlib.suppress(InvalidOperation):
                parsed = Decimal(parsed)
        row[settings.COLUMN_NAMES.get(column, column)] = parsed
    return row
