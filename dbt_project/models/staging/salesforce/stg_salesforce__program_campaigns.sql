{#
    Salesforce campaigns as certified campaigns (registry entity `program_campaigns`, unioned by
    dim_campaigns): campaign key `salesforce:<CampaignId>`, account `salesforce`, channel from
    the campaign's Type through `channel_rules` (nothing matching -> direct, as for touches),
    currency the org's (`salesforce_currency`; campaign costs are not read).
#}
with

campaigns as (

    select * from {{ ref('stg_salesforce__campaign') }}
    where not is_deleted

),

campaign_fields as (

    select
        campaign_id as subject_id,
        'program_channel' as match_field,
        campaign_type as field_value
    from campaigns

),

campaign_channels as (

    {{ first_matching_channel_rule('campaign_fields') }}

)

select
    'salesforce' as platform,
    campaigns.campaign_id,
    campaigns.campaign_name,
    coalesce(campaign_channels.channel, 'direct') as channel,
    'salesforce' as account_id,
    cast(null as {{ dbt.type_string() }}) as account_timezone,
    '{{ var("salesforce_currency", "USD") }}' as currency,
    campaigns.campaign_type as program_channel,
    campaigns.campaign_type as program_type
from campaigns
left join campaign_channels
    on campaign_channels.subject_id = campaigns.campaign_id
