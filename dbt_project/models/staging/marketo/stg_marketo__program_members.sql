with

source as (

    select * from {{ source('marketo', 'program_members') }}

),

renamed as (

    select
        -- ids
        cast(program_id as bigint) as program_id,
        cast(lead_id as bigint) as lead_id,

        -- dimensions
        status_name,
        reached_success as has_reached_success,
        acquired_by as was_acquired_by_program,

        -- timestamps
        membership_date as became_member_at,
        reached_success_date as reached_success_at

    from source

)

select * from renamed
