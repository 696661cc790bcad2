{#
    The person of every source record. The key is the normalized email; a record without a
    valid one is keyed `<source_system>:<source id>` (of its survivor when merged);
    person_id = sha256 hex of the key (docs/certified_tables.md, People and identity).
    `person_key` is PII (an email): it stays in the intermediate layer.
#}
with

records as (

    select * from {{ ref('int_person_records_merged') }}

),

keyed as (

    select
        *,
        coalesce(
            email_normalized,
            source_system || ':' || resolved_record_id
        ) as person_key
    from records

)

select
    source_system,
    source_record_id,
    {{ sha256_hex('person_key') }} as person_id,
    person_key,
    has_email,
    resolved_record_id,
    is_merged,
    original_source_field,
    original_source,
    record_created_at
from keyed
