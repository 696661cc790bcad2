{#
    Salesforce's stage history of opportunities (OpportunityHistory): one row per opportunity at
    its creation and at each change of stage, amount or close date, with the values after it.
#}
with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_history_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        -- dimensions
        stage_name,
        coalesce(is_deleted, false) as is_deleted,

        -- numerics
        cast(amount as double precision) as amount,

        -- timestamps
        cast(close_date as date) as close_date,
        created_date as changed_at

    from source

)

select * from renamed
