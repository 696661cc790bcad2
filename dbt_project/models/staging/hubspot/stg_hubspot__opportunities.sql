{#
    HubSpot deals in the conformed shape of the registry entity `opportunities` (unioned by
    int_opportunities_converted): one row per deal that is not archived (an archived deal is
    deleted in HubSpot, no longer an opportunity), as of the last load. The amount is in the
    deal's currency; `is_won` is `hs_is_closed_won`, `is_closed` is `hs_is_closed`. `closed_at`
    is `closedate` of a closed deal only: on an open deal HubSpot's `closedate` is the expected
    close date a salesperson typed, not a close (METRICS.md: open opportunities have no close
    instant).
#}
with

deals as (

    select * from {{ ref('stg_hubspot__deals') }}
    where not is_archived

),

conformed as (

    select
        -- ids
        deal_id as opportunity_id,
        'hubspot' as source_system,

        -- dimensions
        deal_name as opportunity_name,
        currency,
        is_closed,
        is_closed_won as is_won,

        -- numerics (deal currency, as of the load)
        amount,

        -- timestamps
        created_at,
        case when is_closed then closed_at end as closed_at

    from deals

)

select * from conformed
