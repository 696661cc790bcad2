{#
    One row per opportunity, attribution model and eligible touch (zero credits included), or
    the opportunity's single `unattributed` credit per model; with the credited pipeline and won
    revenue in reporting currency, in the month the opportunity was created.
#}

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
