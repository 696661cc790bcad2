-- publication_log.source_freshness ({source: last loaded at}) as rows, one per source and run
select
    log.run_id,
    freshness.key as source,
    cast(json_extract_string(log.source_freshness, '$."' || freshness.key || '"') as timestamptz)
        as last_loaded_at
from publication_log as log,
    json_each(log.source_freshness) as freshness
