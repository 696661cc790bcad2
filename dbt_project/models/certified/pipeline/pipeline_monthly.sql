{#
    Pipeline per month of creation; every total counts each opportunity once (influenced:
    opportunities with at least one eligible touch in any marketing channel).
#}

with

opportunities as (

    select
        *,
        case when is_won then 1 else 0 end as won,
        case when is_marketing_sourced then 1 else 0 end as sourced,
        case when is_marketing_influenced then 1 else 0 end as influenced
    from {{ ref('fct_opportunities') }}

)

select
    created_month as month,
    cast(count(*) as bigint) as opportunities,
    cast(sum(amount_reporting) as double precision) as pipeline,
    cast(sum(won) as bigint) as won_opportunities,
    cast(sum(won_amount_reporting) as double precision) as won_revenue,
    cast(sum(sourced) as bigint) as sourced_opportunities,
    cast(sum(sourced * amount_reporting) as double precision) as sourced_pipeline,
    cast(sum(sourced * won_amount_reporting) as double precision) as sourced_won_revenue,
    cast(sum(influenced) as bigint) as influenced_opportunities,
    cast(sum(influenced * amount_reporting) as double precision) as influenced_pipeline,
    cast(sum(influenced * won_amount_reporting) as double precision) as influenced_won_revenue
from opportunities
group by created_month
