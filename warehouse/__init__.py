"""What every layer of the warehouse reads: where things are, which sources are enabled.

Neutral ground: ingestion, dbt's Python glue, the checks, the orchestration, the benchmarks and
the sandbox all read these modules; they import nothing of those layers.

* :mod:`warehouse.settings`: paths, the warehouse switch, the reporting settings;
* :mod:`warehouse.sources`: the registry of source systems and which of them are enabled.
"""
