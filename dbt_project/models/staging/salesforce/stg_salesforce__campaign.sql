{#
    One row per Salesforce campaign (deleted ones included, flagged), typed and renamed.
    `campaign_type` is the org's Type picklist (Webinar, Trade Show, Email, ...): the channel
    rules read it as a program channel.
#}
with

source as (

    select * from {{ source('salesforce', 'campaigns') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        coalesce(is_active, false) as is_active,
        coalesce(is_deleted, false) as is_deleted,

        -- dates and timestamps
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
