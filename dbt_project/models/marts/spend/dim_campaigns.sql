{#
    Every campaign that can carry spend or touches, keyed by the certified campaign key
    (`<platform>:<campaign_id>`): the ad platform campaigns (int_ad_campaigns) and the
    programs (int_program_campaigns).
#}

with

ad_campaigns as (

    select
        campaign_key, platform, campaign_id, campaign_name, channel, account_id,
        account_timezone, currency,
        cast(null as {{ dbt.type_string() }}) as program_channel,
        cast(null as {{ dbt.type_string() }}) as program_type
    from {{ ref('int_ad_campaigns') }}

),

programs as (

    select
        campaign_key, platform, campaign_id, campaign_name, channel, account_id,
        account_timezone, currency, program_channel, program_type
    from {{ ref('int_program_campaigns') }}

)

select * from ad_campaigns
union all
select * from programs
