{#
    Every raw record that was not passed on as it arrived, with the source, table, record id and
    rule that name it (docs/certified_tables.md, Bad input): the union of the enabled sources'
    `quarantined` staging models (warehouse/sources.yml), each the macro `source_quarantine`
    (macros/record_rules.sql) over its source's registry entry:

    * action `quarantined`: the record failed a rule of its table (the entry's `record_rules:`)
      and no staging model reads it; or dlt diverted it at load time into the source's
      `_quarantine` table (a record with no primary key cannot be merged, ingestion/quarantine.py);
    * action `corrected`: the record was passed on and a documented rule (the entry's
      `corrections:`) corrected it; every correction that applies is listed. Also each touch
      whose visitor text (UTM values, campaign key) the rule `visitor_text_clean` changed when
      the touches were parsed (macros/visitor_text.sql), named as the touch: table
      `touchpoints`, record id its touchpoint id (`<source>-<the source's id of the touch>`),
      the changes in the detail with the kind and length of each value, never the value.

    For each raw table, rows loaded = rows staging reads + rows quarantined here.
#}

with

unioned as (

    {{ union_sources('quarantined', [
        ('source', 'string'), ('table_name', 'string'), ('record_id', 'string'),
        ('rule', 'string'), ('severity', 'string'), ('action', 'string'), ('detail', 'string'),
        ('load_id', 'string'),
    ]) }}

),

visitor_text as (

    select
        source_system as source,
        'touchpoints' as table_name,
        touchpoint_id as record_id,
        'visitor_text_clean' as rule,
        'warning' as severity,
        'corrected' as action,
        visitor_text_corrections as detail,
        cast(null as {{ dbt.type_string() }}) as load_id
    from {{ ref('int_touchpoints_channeled') }}
    where visitor_text_corrections is not null

),

listed as (

    select * from unioned
    union all
    select * from visitor_text

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
from listed
