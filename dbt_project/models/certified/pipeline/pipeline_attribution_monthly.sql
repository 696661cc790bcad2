{#
    Attributed pipeline per month of creation, attribution model, channel and campaign; only
    non-zero credits make rows (the unattributed credit included). `is_default_model` marks the
    rows of var `default_attribution_model`: the semantic layer's default-model metrics filter on
    it, since a MetricFlow filter cannot read a dbt var.
#}

select
    created_month as month,
    cast(attribution_model as varchar) as attribution_model,
    cast(attribution_model = '{{ var("default_attribution_model") }}' as boolean) as is_default_model,
    cast(channel as varchar) as channel,
    cast(campaign_key as varchar) as campaign_key,
    cast(sum(credit) as double precision) as attributed_opportunities,
    cast(sum(attributed_pipeline) as double precision) as attributed_pipeline,
    cast(sum(attributed_won_revenue) as double precision) as attributed_won_revenue
from {{ ref('fct_attribution_credits') }}
where credit <> 0
group by created_month, attribution_model, channel, campaign_key
