"""What the quarantine holds, read from ``quarantine.quarantine_records`` in the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.settings import apply_duckdb_settings, warehouse_path

RELATION = "quarantine.quarantine_records"


def quarantine_summary(warehouse: Path | None = None, examples: int = 3) -> list[dict]:
    """One row per (source, table, rule, severity) of quarantined records, with a few ids."""
    # not read_only: the run's other steps in this process have the warehouse open to write
    with apply_duckdb_settings(duckdb.connect(str(warehouse or warehouse_path()))) as con:
        rows = con.execute(
            f"""
            select source, table_name, rule, severity, count(*) as records,
                   string_agg(coalesce(record_id, '(null id)'), ', ' order by record_id)
                       as ids
            from {RELATION}
            where action = 'quarantined'
            group by all
            order by severity, source, table_name, rule
            """
        ).fetchall()
    out = []
    for source, table, rule, severity, records, ids in rows:
        shown = ids.split(", ")[:examples]
        out.append(
            {"source": source, "table_name": table, "rule": rule, "severity": severity,
             "records": records, "examples": ", ".join(shown)}
        )  # fmt: skip
    return out
