"""Bad Salesforce records are named, never dropped: every bad record the sandbox's Salesforce
serves (a lead email that is no address, a lead created in the future, an opportunity of 1e29,
a closed opportunity whose close date is before its creation) is listed in
``quarantine.quarantine_records`` with the source, table, record id and the rule of
``warehouse/sources.yml`` it breaks; the opportunity closed before its creation is passed on
(listed as corrected), the others are kept out of staging."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.support.pipeline import dbt, load_sources, read_table
from warehouse.sources import dbt_vars

WORLD = World(seed=3, scale=300, start=date(2025, 1, 1), end=date(2025, 3, 1), crm="salesforce")
KINDS = ("malformed_email", "future_date", "implausible_amount", "close_before_creation")
#: the rules each kind may be named by, and whether the record is still passed on; an amount no
#: column can hold is diverted by the load (ingestion/quarantine.py), one that fits by dbt's rule
RULES = {
    "malformed_email": ({"email_is_an_address"}, "corrected"),
    "future_date": ({"future_date"}, "quarantined"),
    "implausible_amount": ({"number_fits_column", "money_plausible"}, "quarantined"),
    "close_before_creation": ({"close_after_creation"}, "corrected"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("salesforce-bad-records")
    with SandboxServer(WORLD, faults=FaultPlan(bad_records=frozenset(KINDS))) as server:
        load_sources(server, workdir, ["salesforce"])
        bad = [b for b in server.bad_records() if b.source == "salesforce"]
    enabled = dbt_vars(["salesforce"])
    # the models and seeds the quarantine and the two staging models need (their data tests
    # would need more: the known-answer tests build everything)
    dbt(workdir, "build", "--select", "+quarantine_records", "+stg_salesforce__lead",
        "+stg_salesforce__opportunity", "--exclude-resource-type", "test",
        "--exclude-resource-type", "unit_test", vars=enabled,
        extra_env={"WAREHOUSE_AS_OF": WORLD.now.isoformat()})  # the world's clock  # fmt: skip
    return workdir, bad


def test_every_bad_record_is_listed_with_its_rule(built):
    workdir, bad = built
    assert {b.kind for b in bad} == set(KINDS), "the sandbox served fewer kinds than asked"
    listed = {
        (r["table_name"], r["record_id"], r["rule"], r["action"])
        for r in read_table(workdir, "quarantine.quarantine_records")
        if r["source"] == "salesforce"
    }
    for record in bad:
        rules, action = RULES[record.kind]
        named = {(t, i, a) for t, i, r, a in listed if r in rules}
        assert (record.table, record.record_id, action) in named, record


def test_quarantined_records_stay_out_of_staging(built):
    workdir, bad = built
    leads = {r["lead_id"] for r in read_table(workdir, "staging.stg_salesforce__lead")}
    opportunities = {
        r["opportunity_id"] for r in read_table(workdir, "staging.stg_salesforce__opportunity")
    }
    staged = {"leads": leads, "opportunities": opportunities}
    for record in bad:
        passed_on = record.record_id in staged[record.table]
        assert passed_on == (RULES[record.kind][1] == "corrected"), record
