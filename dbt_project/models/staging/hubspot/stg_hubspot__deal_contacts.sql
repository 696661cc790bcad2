with

source as (

    select * from {{ source('hubspot', 'deal_contacts') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('hubspot', 'deal_contacts') }}

),

renamed as (

    select
        -- ids
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(type_id as bigint) as association_type_id,

        -- dimensions
        category as association_category,
        label as association_label,
        type as association_type

    from source

)

select * from renamed
