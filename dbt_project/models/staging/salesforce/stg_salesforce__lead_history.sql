{#
    Salesforce's field history of leads (LeadHistory): one row per tracked change. `old_value`
    and `new_value` are text whatever the field's type (`data_type` says it).
#}
with

source as (

    select * from {{ source('salesforce', 'lead_history') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as lead_history_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,

        -- dimensions
        field,
        data_type,
        old_value,
        new_value,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as changed_at

    from source

)

select * from renamed
