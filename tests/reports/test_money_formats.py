"""Money on the pages is in the currency the published tables were built in: every money format
comes from ``reports/queries/money.sql``, which reads ``certified.warehouse_settings``; no page
writes a currency of its own."""

from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.defs.reports import REPORTS_DIR

MONEY_SQL = REPORTS_DIR / "queries" / "money.sql"


def formats(currency: str) -> tuple[str, str]:
    """(whole, cents) of money.sql on a published file whose settings name ``currency``."""
    with duckdb.connect() as con:
        con.execute("create schema certified")
        con.execute("create table certified.warehouse_settings (reporting_currency varchar)")
        con.execute("insert into certified.warehouse_settings values (?)", [currency])
        return con.execute(MONEY_SQL.read_text()).fetchone()[1:]


@pytest.mark.parametrize(
    ("currency", "whole", "cents"),
    [
        ("USD", '"$"#,##0', '"$"#,##0.00'),
        ("EUR", '"€"#,##0', '"€"#,##0.00'),
        ("GBP", '"£"#,##0', '"£"#,##0.00'),
        ("CHF", '"CHF "#,##0', '"CHF "#,##0.00'),
    ],
)
def test_money_formats_follow_the_published_currency(currency, whole, cents):
    assert formats(currency) == (whole, cents)


def test_no_page_writes_a_currency_of_its_own():
    written = []
    for page in sorted((REPORTS_DIR / "pages").rglob("*.md")):
        for line_no, line in enumerate(page.read_text().splitlines(), 1):
            if re.search(r"Fmt=['\"][^'\"]*[$€£¥]|fmt=['\"][^'\"]*[$€£¥]|\b(usd|eur|gbp)\d", line):
                written.append(f"{page.name}:{line_no}: {line.strip()}")
    assert not written, "money formats must come from money.sql:\n" + "\n".join(written)
