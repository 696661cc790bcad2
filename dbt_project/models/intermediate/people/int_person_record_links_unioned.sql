{#
    Every link an enabled source reports from one of its person records to a record of another
    system (Marketo's Salesforce sync: the Salesforce lead or contact a Marketo lead is), one
    row per linked record: the union of the staging models that hold `record_links` in the
    source registry (warehouse/sources.yml); with no such source enabled, empty.
#}
with

unioned as (

    {{ union_sources('record_links', [
        ('source_system', 'string'),
        ('source_record_id', 'string'),
        ('linked_system', 'string'),
        ('linked_record_id', 'string'),
    ]) }}

)

select
    source_system,
    source_record_id,
    linked_system,
    linked_record_id
from unioned
