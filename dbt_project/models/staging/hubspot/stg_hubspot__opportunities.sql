{#
    HubSpot deals in the conformed shape of the registry entity `opportunities` (unioned by
    int_opportunities_converted): one row per deal that is not archived (an archived deal is
    deleted in HubSpot, no longer an opportunity), as of the last load. The amount is in the
    deal's currency; `is_won` is `hs_is_closed_won`.
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
        created_at

    from deals

)

select * from conformed
