"""The Dagster code location: every layer's definitions, gathered.

Each module under ``orchestration/defs`` has one shape: it builds the assets, checks, jobs and
resources of one layer and exposes them as ``defs``.

Runs execute in process: every step writes the one DuckDB warehouse, so steps run one after the
other anyway, and the multiprocess executor would re-import the code location for each step.
"""

import dagster as dg

from orchestration.defs import (
    alerts,
    ingestion,
    publish,
    quality,
    recovery,
    reports,
    schedules,
    transform,
)

defs = dg.Definitions.merge(
    ingestion.defs,
    transform.defs,
    reports.defs,
    quality.defs,
    publish.defs,
    schedules.defs,
    alerts.defs,
    recovery.defs,
    dg.Definitions(executor=dg.in_process_executor),
)
