{#
    The person of every source record. The key is the normalized email; a record without a
    valid one is keyed `<source_system>:<source id>` (of its survivor when merged);
    person_id = sha256 hex of the key (docs/certified_tables.md, People and identity).
    A record that a source links to a record of another system (the registry entity
    `record_links`: Marketo's Salesforce sync names the Salesforce lead or contact a lead is)
    takes that record's key when it is loaded, whatever its own email: the sync says they are
    one person even where the two addresses differ.
    `person_key` is PII (an email): it stays in the intermediate layer.
#}
with

records as (

    select * from {{ ref('int_person_records_merged') }}

),

links as (

    select * from {{ ref('int_person_record_links_unioned') }}

),

own_keys as (

    select
        *,
        coalesce(
            email_normalized,
            source_system || ':' || resolved_record_id
        ) as own_key
    from records

),

linked_keys as (

    select
        links.source_system,
        links.source_record_id,
        min(targets.own_key) as linked_key
    from links
    inner join own_keys as targets
        on
            targets.source_system = links.linked_system
            and targets.source_record_id = links.linked_record_id
    group by links.source_system, links.source_record_id

),

keyed as (

    select
        own_keys.*,
        coalesce(linked_keys.linked_key, own_keys.own_key) as person_key
    from own_keys
    left join linked_keys
        on
            linked_keys.source_system = own_keys.source_system
            and linked_keys.source_record_id = own_keys.source_record_id

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
