{#
    Marketo program period costs as the shared spend models read them (registry entity
    `campaign_costs`, unioned by int_program_costs_converted): one row per cost, dated by the
    cost's own date (the first of the program's month, even when it is not yet past), with the
    program's channel and the instance's currency (stg_marketo__program_campaigns).
#}
with

costs as (

    select * from {{ ref('stg_marketo__program_costs') }}

),

programs as (

    select * from {{ ref('stg_marketo__program_campaigns') }}

)

select
    costs.cost_date,
    programs.platform,
    programs.account_id,
    programs.campaign_id,
    costs.cost_seq,
    programs.campaign_name as program_name,
    programs.program_channel,
    programs.channel,
    programs.currency,
    costs.cost
from costs
inner join programs
    on programs.campaign_id = cast(costs.program_id as {{ dbt.type_string() }})
