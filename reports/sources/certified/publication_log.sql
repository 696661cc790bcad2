-- the publications that were swapped in (a log may also list refused or failed runs). The
-- publish step names the instant of the swap published_at or finished_at: either is read.
select
    run_id,
    status,
    checks_passed,
    checks_failed,
    row_counts,
    source_freshness,
    cast(coalesce(*columns(c -> c in ('published_at', 'finished_at'))) as timestamp)
        as published_at
from publication_log
where status = 'published'
