-- the checks of each publication. A publication that recorded no check keeps one row with an
-- empty check, because Evidence 39 writes a zero-row result as an unreadable parquet file and
-- the whole build fails; the data quality page leaves that row out.
select
    log.run_id,
    checks.asset,
    checks.check_name,
    checks.severity,
    checks.passed,
    checks.failed_rows,
    checks.detail
from publication_log as log
left join publication_checks as checks on checks.run_id = log.run_id
