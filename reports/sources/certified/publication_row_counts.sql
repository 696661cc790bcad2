-- publication_log.row_counts ({table: rows}) as rows, one per certified table and run
select
    log.run_id,
    counts.key as table_name,
    cast(counts.value as bigint) as row_count
from publication_log as log,
    json_each(log.row_counts) as counts
