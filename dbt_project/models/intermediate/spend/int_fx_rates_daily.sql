{#
    One rate per currency and calendar day, from the currency's first published rate to the
    run date (or the last published day, whichever is later; var `fx_rates_through` replaces
    the run date, for tests and backfills): the latest rate published on or
    before the day (weekends and holidays carry the previous business day's rate forward; no
    staleness limit). The base currency itself has rate 1 on every day. Rates are units of
    `currency` per one unit of the base (`fx_base_currency`, EUR). The published rates are the
    enabled FX sources' `fx_rates` staging models (warehouse/sources.yml); with none enabled
    there are no rates (and no days): an amount already in the reporting currency converts at
    1 (macros/spend_macros.sql, `fx_factor`), any other is quarantined as `currency_known`.
#}

with

rates as (

    {{ union_sources('fx_rates', [
        ('currency', 'string'), ('base_currency', 'string'), ('units_per_base', 'double'),
        ('published_date', 'date'),
    ]) }}

),

published as (

    select
        currency,
        published_date,
        units_per_base,
        lead(published_date) over (
            partition by currency order by published_date
        ) as next_published_date
    from rates
    where base_currency = '{{ var("fx_base_currency") }}'
        and currency <> '{{ var("fx_base_currency") }}'

),

run_end as (

    {%- set through = var('fx_rates_through', none) %}
    {%- set run_date = "cast('" ~ through ~ "' as date)" if through else 'current_date' %}
    select
        case
            when max(published_date) > {{ run_date }} then max(published_date)
            else {{ run_date }}
        end as last_day
    from published

),

currency_ranges as (

    select
        published.currency,
        min(published.published_date) as first_day,
        max(run_end.last_day) as last_day
    from published
    cross join run_end
    group by published.currency

    union all

    select
        '{{ var("fx_base_currency") }}' as currency,
        min(published.published_date) as first_day,
        max(run_end.last_day) as last_day
    from published
    cross join run_end
    having count(*) > 0

),

days as (

    {{ days_from_to('currency_ranges', 'first_day', 'last_day') }}

),

carried_forward as (

    select
        days.day as rate_date,
        days.currency,
        published.units_per_base,
        published.published_date
    from days
    inner join published
        on published.currency = days.currency
        and published.published_date <= days.day
        and (published.next_published_date > days.day or published.next_published_date is null)

),

base_currency as (

    select
        day as rate_date,
        currency,
        1.0 as units_per_base,
        day as published_date
    from days
    where currency = '{{ var("fx_base_currency") }}'

),

unioned as (

    select * from carried_forward
    union all
    select * from base_currency

)

select
    rate_date,
    currency,
    cast(units_per_base as double precision) as units_per_base,
    published_date,
    published_date < rate_date as is_carried_forward
from unioned
