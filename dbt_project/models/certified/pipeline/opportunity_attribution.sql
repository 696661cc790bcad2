{#
    Each opportunity's attribution credit per model, channel and campaign: the drill-down from a
    channel or a campaign to the opportunities it is credited with. Touches of the same campaign
    add up; only non-zero credits make rows (the unattributed credit included), as in
    pipeline_attribution_monthly, whose rows are these summed by month of creation. No personal
    data: the opportunity is named by its CRM id only (a deal's name may hold a person's), with
    its dates, status and amount; never its people.
#}

with

credits as (

    select
        opportunity_id,
        attribution_model,
        channel,
        campaign_key,
        sum(credit) as credit
    from {{ ref('fct_attribution_credits') }}
    where credit <> 0
    group by opportunity_id, attribution_model, channel, campaign_key

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

)

select
    cast(credits.opportunity_id as varchar) as opportunity_id,
    opportunities.created_date,
    opportunities.created_month,
    cast(
        case
            when opportunities.is_won then 'won'
            when opportunities.is_closed then 'lost'
            else 'open'
        end as varchar
    ) as status,
    cast({{ to_reporting_date('opportunities.closed_at') }} as date) as closed_date,
    cast(opportunities.amount_reporting as double precision) as amount,
    cast(credits.attribution_model as varchar) as attribution_model,
    cast(credits.attribution_model = '{{ var("default_attribution_model") }}' as boolean)
        as is_default_model,
    cast(credits.channel as varchar) as channel,
    cast(channels.label as varchar) as channel_label,
    cast(credits.campaign_key as varchar) as campaign_key,
    cast(coalesce(
        campaigns.campaign_name,
        case when credits.campaign_key = '(none)' then '(no campaign)' else credits.campaign_key end
    ) as varchar) as campaign_name,
    cast(credits.credit as double precision) as credit,
    cast(credits.credit * opportunities.amount_reporting as double precision)
        as attributed_pipeline,
    cast(
        case when opportunities.is_won then credits.credit * opportunities.amount_reporting else 0 end
        as double precision
    ) as attributed_won_revenue
from credits
inner join opportunities
    on opportunities.opportunity_id = credits.opportunity_id
left join {{ ref('channels') }} as channels
    on channels.channel = credits.channel
left join {{ ref('dim_campaigns') }} as campaigns
    on campaigns.campaign_key = credits.campaign_key
