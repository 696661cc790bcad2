{#
    One row per Salesforce opportunity, typed and renamed, as of the last load. A single-currency
    org has no `CurrencyIsoCode` field: its amounts are in the org's currency, the var
    `salesforce_currency` (default USD).
#}
with

source as (

    select * from {{ source('salesforce', 'opportunities') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('salesforce', 'opportunities') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- dimensions
        name as opportunity_name,
        stage_name,
        type as opportunity_type,
        lead_source,
        upper(trim({{ column_if_present(source('salesforce', 'opportunities'), 'currency_iso_code',
            "'" ~ var('salesforce_currency', 'USD') ~ "'") }})) as currency,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        coalesce(is_deleted, false) as is_deleted,

        -- numerics (opportunity currency, as of the load)
        cast(amount as double precision) as amount,

        -- timestamps
        cast(close_date as date) as close_date,
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
