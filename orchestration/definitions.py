"""The Dagster code location: every layer's definitions, gathered.

Each module under ``orchestration/defs`` has one shape: it builds the assets, checks, jobs and
resources of one layer and exposes them as ``defs``.
"""

import dagster as dg

from orchestration.defs import ingestion, transform

defs = dg.Definitions.merge(ingestion.defs, transform.defs)
