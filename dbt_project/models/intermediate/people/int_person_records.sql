{#
    The identity interface: which person every source record belongs to, one row per source
    record (merged-away CRM records included). Everything downstream joins source records to
    people through this model only.
#}
select
    source_system,
    source_record_id,
    person_id,
    person_key,
    has_email,
    is_merged,
    original_source_field,
    original_source,
    record_created_at
from {{ ref('int_people_identified') }}
