{#
    Salesforce's merges in the conformed shape of the registry entity `record_merges` (unioned
    by int_person_record_merges_unioned): one row per (surviving record, record merged into it).
    A lead or contact merged away is deleted and names its survivor in `MasterRecordId` (only
    `queryAll` returns it); a converted lead names the contact it became in
    `ConvertedContactId`, so a lead and its contact are one person from the conversion on.
#}
with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}

),

contacts as (

    select * from {{ ref('stg_salesforce__contact') }}

),

merges as (

    select master_record_id as survivor_id, lead_id as merged_id
    from leads
    where is_deleted and master_record_id is not null

    union all

    select converted_contact_id as survivor_id, lead_id as merged_id
    from leads
    where is_converted and converted_contact_id is not null and not is_deleted

    union all

    select master_record_id as survivor_id, contact_id as merged_id
    from contacts
    where is_deleted and master_record_id is not null

),

conformed as (

    select distinct
        -- ids
        'salesforce' as source_system,
        survivor_id as survivor_record_id,
        merged_id as merged_record_id

    from merges

)

select * from conformed
