with

source as (

    select * from {{ source('hubspot', 'deals') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('hubspot', 'deals') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as deal_id,

        -- dimensions
        dealname as deal_name,
        pipeline as pipeline_id,
        dealstage as deal_stage,
        upper(trim(deal_currency_code)) as currency,
        coalesce(hs_is_closed, false) as is_closed,
        coalesce(hs_is_closed_won, false) as is_closed_won,
        coalesce(archived, false) as is_archived,

        -- numerics (deal currency, as of the load: a revised amount replaces the old one)
        cast(amount as double precision) as amount,

        -- timestamps
        createdate as created_at,
        closedate as closed_at,
        hs_lastmodifieddate as updated_at

    from source

)

select * from renamed
