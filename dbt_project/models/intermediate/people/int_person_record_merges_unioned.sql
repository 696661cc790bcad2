{#
    Every merge of duplicate person records that an enabled source reports, one row per
    (surviving record, record merged into it): the union of the staging models that hold
    `record_merges` in the source registry (warehouse/sources.yml). A source that does not
    merge records holds none; with no such source enabled, empty.
#}
with

unioned as (

    {{ union_sources('record_merges', [
        ('source_system', 'string'),
        ('survivor_record_id', 'string'),
        ('merged_record_id', 'string'),
    ]) }}

)

select
    source_system,
    survivor_record_id,
    merged_record_id
from unioned
