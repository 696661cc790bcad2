with

source as (

    select * from {{ source('marketo', 'programs') }}

),

renamed as (

    select
        -- ids
        cast(id as bigint) as program_id,

        -- dimensions
        name as program_name,
        channel as program_channel,
        type as program_type,
        status as program_status,
        workspace,

        -- timestamps
        created_at,
        updated_at

    from source

)

select * from renamed
