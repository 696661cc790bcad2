with

source as (

    select * from {{ source('marketo', 'program_costs') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('marketo', 'program_costs') }}

),

renamed as (

    select
        -- ids
        cast(program_id as bigint) as program_id,
        cast(seq as bigint) as cost_seq,

        -- dimensions
        note,

        -- numerics (Marketo's currency; the instance's currency is the reporting one here)
        cast(cost as double precision) as cost,

        -- dates
        cast(start_date as date) as cost_date

    from source

)

select * from renamed
