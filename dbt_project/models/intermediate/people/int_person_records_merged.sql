{#
    Merged CRM records re-pointed to their survivor (docs/certified_tables.md, People and
    identity: a merged contact belongs to the surviving contact's person from the merge on).
    The sources show the state as of the run, so a record listed as merged by a survivor is
    merged now: it takes the survivor's email key; before the merge (not yet listed) it stays
    a person of its own. A merged-away record whose survivor is not loaded stays on its own.

    The merges are those of every enabled source that reports them (the registry entity
    `record_merges`, int_person_record_merges_unioned); a merge joins records of one source.
    Without such a source no record is merged.
#}
with

records as (

    select * from {{ ref('int_person_records_unioned') }}

),

merges as (

    select
        source_system,
        survivor_record_id as survivor_id,
        merged_record_id as merged_id
    from {{ ref('int_person_record_merges_unioned') }}

),

-- a survivor merged away in turn (a into b, then b into c) passes its merges on to c
merges_to_final_survivor as (

    select
        merges.source_system,
        merges.merged_id,
        coalesce(later.survivor_id, merges.survivor_id) as survivor_id
    from merges
    left join merges as later
        on
            later.source_system = merges.source_system
            and later.merged_id = merges.survivor_id

),

one_survivor_per_record as (

    select source_system, merged_id, min(survivor_id) as survivor_id
    from merges_to_final_survivor
    where merged_id <> survivor_id
    group by source_system, merged_id

),

resolved as (

    select
        records.source_system,
        records.source_record_id,
        coalesce(survivors.source_record_id, records.source_record_id) as resolved_record_id,
        survivors.source_record_id is not null as is_merged,
        case
            when survivors.source_record_id is not null then survivors.email_normalized
            else records.email_normalized
        end as email_normalized,
        records.original_source_field,
        records.original_source,
        records.record_created_at
    from records
    left join one_survivor_per_record
        on
            one_survivor_per_record.source_system = records.source_system
            and one_survivor_per_record.merged_id = records.source_record_id
    left join records as survivors
        on
            survivors.source_system = one_survivor_per_record.source_system
            and survivors.source_record_id = one_survivor_per_record.survivor_id

)

select
    source_system,
    source_record_id,
    resolved_record_id,
    is_merged,
    email_normalized,
    email_normalized is not null as has_email,
    original_source_field,
    original_source,
    record_created_at
from resolved
