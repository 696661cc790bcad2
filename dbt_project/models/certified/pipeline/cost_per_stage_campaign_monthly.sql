{#
    The campaign half of fct_cost_per_stage_monthly, at its certified grain `month, campaign_key`,
    with the name a reader sees: the ad campaign's or program's own (dim_campaigns), the UTM
    value itself for a campaign only touches name, `(no campaign)` for the `(none)` key.
#}
select
    costs.month,
    costs.dimension_value as campaign_key,
    cast(coalesce(
        campaigns.campaign_name,
        case when costs.dimension_value = '(none)' then '(no campaign)' else costs.dimension_value end
    ) as varchar) as campaign_name,
    costs.spend,
    costs.leads,
    costs.mqls,
    costs.sqls,
    costs.opportunities,
    costs.customers,
    costs.cpl,
    costs.cost_per_mql,
    costs.cost_per_sql,
    costs.cost_per_opportunity,
    costs.cac,
    costs.attribution_model,
    costs.attributed_pipeline,
    costs.attributed_won_revenue,
    costs.pipeline_roi,
    costs.roas,
    costs.gross_margin,
    costs.romi
from {{ ref('fct_cost_per_stage_monthly') }} as costs
left join {{ ref('dim_campaigns') }} as campaigns
    on campaigns.campaign_key = costs.dimension_value
where costs.dimension = 'campaign_key'
