{#
    Every person record of every enabled CRM and automation source, one row per source record,
    in one shape: the union of the staging models that hold `person_records` in the source
    registry (warehouse/sources.yml, macros/sources.sql). Adding a source is its staging model
    and its registry entry; nothing here names a source. With no such source enabled, empty.

    `original_source_field` names the `channel_rules` field the record's own original-source
    value is matched on (null for a source without one).
#}
with

unioned as (

    {{ union_sources('person_records', [
        ('source_system', 'string'),
        ('source_record_id', 'string'),
        ('email', 'string'),
        ('original_source_field', 'string'),
        ('original_source', 'string'),
        ('record_created_at', 'timestamptz'),
    ]) }}

),

normalized as (

    select
        source_system,
        source_record_id,
        {{ normalized_email('email') }} as email_normalized,
        original_source_field,
        original_source,
        record_created_at
    from unioned

)

select
    source_system,
    source_record_id,
    email_normalized,
    email_normalized is not null as has_email,
    original_source_field,
    original_source,
    record_created_at
from normalized
