{#
    Salesforce opportunities in the conformed shape of the registry entity `opportunities`
    (unioned by int_opportunities_converted): one row per opportunity that is not deleted, as of
    the last load, in its currency. `closed_at` (METRICS.md, revenue velocity): for a closed
    opportunity (`IsClosed`), its `CloseDate`, a date, taken as midnight of that date in
    `reporting_timezone`; open opportunities have no close instant (their CloseDate is the
    expected close a salesperson typed).
#}
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunity') }}
    where not is_deleted

),

conformed as (

    select
        -- ids
        opportunity_id,
        'salesforce' as source_system,

        -- dimensions
        opportunity_name,
        currency,
        is_closed,
        is_won,

        -- numerics (opportunity currency, as of the load)
        amount,

        -- timestamps
        created_at,
        case
            when is_closed then {{ reporting_midnight('close_date') }}
        end as closed_at

    from opportunities

)

select * from conformed
