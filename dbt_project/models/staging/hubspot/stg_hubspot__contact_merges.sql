{#
    One row per (surviving contact, contact merged into it), from the survivor's
    `hs_merged_object_ids` (`'a;b'`). HubSpot keeps the whole list on the survivor, so a
    contact merged twice (a into b, then b into c) is listed on c.
#}
with

contacts as (

    select contact_id, merged_object_ids from {{ ref('stg_hubspot__contacts') }}
    where merged_object_ids is not null and not is_archived

),

split as (

    select
        contact_id as survivor_id,
        trim({{ split_to_rows('merged_object_ids', ';') }}) as merged_id
    from contacts

),

renamed as (

    select distinct
        -- ids
        survivor_id,
        merged_id

    from split
    where merged_id <> '' and merged_id <> survivor_id

)

select * from renamed
