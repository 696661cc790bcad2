{#
    Campaigns that are not ad platform campaigns but carry costs or touches (marketing programs),
    keyed by the certified campaign key `<platform>:<campaign_id>`: the union of the enabled
    sources' `program_campaigns` staging models (warehouse/sources.yml), each with its channel
    and currency set by its staging model. None enabled, this is empty.
#}

with

unioned as (

    {{ union_sources('program_campaigns', [
        ('platform', 'string'), ('campaign_id', 'string'), ('campaign_name', 'string'),
        ('channel', 'string'), ('account_id', 'string'), ('account_timezone', 'string'),
        ('currency', 'string'), ('program_channel', 'string'), ('program_type', 'string'),
    ]) }}

)

select
    platform,
    campaign_id,
    platform || ':' || campaign_id as campaign_key,
    campaign_name,
    channel,
    account_id,
    account_timezone,
    currency,
    program_channel,
    program_type
from unioned
