{# The channel half of fct_cost_per_stage_monthly, at its certified grain `month, channel`. #}
select
    month,
    dimension_value as channel,
    spend,
    leads,
    mqls,
    sqls,
    opportunities,
    customers,
    cpl,
    cost_per_mql,
    cost_per_sql,
    cost_per_opportunity,
    cac,
    attribution_model,
    attributed_pipeline,
    attributed_won_revenue,
    pipeline_roi,
    roas,
    gross_margin,
    romi
from {{ ref('fct_cost_per_stage_monthly') }}
where dimension = 'channel'
