{#
    One row per opportunity, attribution model and eligible touch (zero credits included), or
    the opportunity's single `unattributed` credit per model; with the credited pipeline and won
    revenue in reporting currency, in the month the opportunity was created.
    Incremental by opportunity (macros/incremental_macros.sql): an opportunity's credits
    depend on all its eligible touches, so a run rewrites every credit of each opportunity
    with a new, changed or gone credit row (a new or revised deal, a deal closing, a touch or
    a person joining it, a lead date moving) and deletes the opportunities that are gone
    (archived deals); the credits of every other opportunity stay as stored.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='opportunity_id',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_partitions(['opportunity_id'], [(ref('int_opportunities_converted'), ['opportunity_id'])]) }}",
) }}

with

credits as (

    select
        credits.opportunity_id,
        credits.attribution_model,
        credits.touchpoint_id,
        credits.touched_at,
        credits.channel,
        credits.campaign_key,
        credits.touch_rank,
        credits.touch_count,
        credits.credit,
        opportunities.created_at,
        opportunities.created_month,
        opportunities.amount_reporting,
        opportunities.is_won,
        credits.credit * opportunities.amount_reporting as attributed_pipeline,
        case
            when opportunities.is_won then credits.credit * opportunities.amount_reporting
            else 0
        end as attributed_won_revenue
    from {{ ref('int_attribution_credits_modeled') }} as credits
    inner join {{ ref('int_opportunities_converted') }} as opportunities
        on opportunities.opportunity_id = credits.opportunity_id

)

select * from credits
{{ changed_partitions('credits', ['opportunity_id']) }}
