{# fct_opportunity_velocity_monthly at its certified grain `month, channel` (month totals: channel `all`). #}
select
    month,
    channel,
    is_month_total,
    opportunities,
    closed_opportunities,
    won_opportunities,
    lost_opportunities,
    won_revenue,
    win_rate,
    avg_won_amount,
    median_days_to_close_won,
    avg_days_to_close_won,
    pipeline_velocity
from {{ ref('fct_opportunity_velocity_monthly') }}
