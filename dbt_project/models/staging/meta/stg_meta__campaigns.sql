with

source as (

    select * from {{ source('meta', 'campaigns') }}

),

renamed as (

    select
        -- ids: Meta names an ad account `act_<account_id>`; we keep that form everywhere
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        'act_' || cast(account_id as {{ dbt.type_string() }}) as account_id,

        -- dimensions
        name as campaign_name,
        objective as campaign_objective,
        status as campaign_status,

        -- timestamps
        start_time as started_at

    from source

)

select * from renamed
