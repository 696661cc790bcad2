{#
    Salesforce opportunities in the conformed shape of the registry entity `opportunities`
    (unioned by int_opportunities_converted): one row per opportunity that is not deleted, as of
    the last load, in its currency. `closed_at` is the instant the opportunity entered the closed
    stage it is in (its first OpportunityHistory row in that stage): `CloseDate` is a date, and
    on an open opportunity the expected close a salesperson typed (METRICS.md: open
    opportunities have no close instant). Without a history row (history deleted), the close
    date's midnight, UTC.
#}
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunity') }}
    where not is_deleted

),

history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}
    where not is_deleted

),

entered_closing_stage as (

    select
        opportunities.opportunity_id,
        min(history.changed_at) as closed_at
    from opportunities
    inner join history
        on
            history.opportunity_id = opportunities.opportunity_id
            and history.stage_name = opportunities.stage_name
    where opportunities.is_closed
    group by opportunities.opportunity_id

),

conformed as (

    select
        -- ids
        opportunities.opportunity_id,
        'salesforce' as source_system,

        -- dimensions
        opportunities.opportunity_name,
        opportunities.currency,
        opportunities.is_closed,
        opportunities.is_won,

        -- numerics (opportunity currency, as of the load)
        opportunities.amount,

        -- timestamps
        opportunities.created_at,
        case
            when opportunities.is_closed
                then coalesce(
                    entered_closing_stage.closed_at,
                    cast(
                        cast(opportunities.close_date as {{ dbt.type_string() }})
                        || ' 00:00:00+00' as timestamp with time zone
                    )
                )
        end as closed_at

    from opportunities
    left join entered_closing_stage
        on entered_closing_stage.opportunity_id = opportunities.opportunity_id

)

select * from conformed
