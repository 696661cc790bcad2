with

source as (

    select * from {{ source('linkedin', 'campaigns') }}

),

renamed as (

    select
        -- ids: the account URN is urn:li:sponsoredAccount:<id>
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        {{ regex_capture('account', 'urn:li:sponsoredAccount:(.+)') }} as account_id,

        -- dimensions
        name as campaign_name,
        status as campaign_status,
        type as campaign_type,
        objective_type as campaign_objective,
        test as is_test

    from source

)

select * from renamed
