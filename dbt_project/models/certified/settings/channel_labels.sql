{#
    The channels every certified `channel` column takes its values from (the `channels` seed),
    with the display label a person reads: join on `channel` to show `Paid search` instead of
    `paid_search`. No personal data.
#}
select
    cast(channel as varchar) as channel,
    cast(label as varchar) as label,
    cast(is_paid as boolean) as is_paid,
    cast(is_marketing as boolean) as is_marketing
from {{ ref('channels') }}
