{#
    Every raw record that was not passed on as it arrived, with the source, table, record id and
    rule that name it (docs/certified_tables.md, Bad input): the union of the enabled sources'
    `quarantined` staging models (warehouse/sources.yml), each the macro `source_quarantine`
    (macros/record_rules.sql) over its source's registry entry:

    * action `quarantined`: the record failed a rule of its table (the entry's `record_rules:`)
      and no staging model reads it; or dlt diverted it at load time into the source's
      `_quarantine` table (a record with no primary key cannot be merged, ingestion/quarantine.py);
    * action `corrected`: the record was passed on and a documented rule (the entry's
      `corrections:`) corrected it; every correction that applies is listed.

    For each raw table, rows loaded = rows staging reads + rows quarantined here.
#}

with

unioned as (

    {{ union_sources('quarantined', [
        ('source', 'string'), ('table_name', 'string'), ('record_id', 'string'),
        ('rule', 'string'), ('severity', 'string'), ('action', 'string'), ('detail', 'string'),
        ('load_id', 'string'),
    ]) }}

)

select
    source,
    table_name,
    record_id,
    rule,
    severity,
    action,
    detail,
    load_id
from unioned
