{#
    One row per Salesforce campaign member (a lead or contact in a campaign; deleted ones
    included, flagged), typed and renamed. The member's own copies of the person's name, email,
    phone and address (CampaignMember carries them) are personal data and are not read.
#}
with

source as (

    select * from {{ source('salesforce', 'campaign_members') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as campaign_member_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,

        -- dimensions
        status as member_status,
        coalesce(has_responded, false) as has_responded,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps
        cast(first_responded_date as date) as first_responded_date,
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
