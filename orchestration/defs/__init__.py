"""One module per layer: ingestion, transform, quality, publish, reports, schedules."""
