{#
    Salesforce opportunities in the conformed shape of the registry entity `opportunities`
    (unioned by int_opportunities_converted): one row per opportunity that is not deleted, as of
    the last load, in its currency. `closed_at` (METRICS.md, revenue velocity): for a closed
    opportunity (`IsClosed`), its `CloseDate`, a date, taken as midnight of that date in
    `reporting_timezone`; open opportunities have no close instant (their CloseDate is the
    expected close a salesperson typed).

    Money: by default `amount` stays in the opportunity's currency and int_opportunities_converted
    converts it with the FX feed, as every source's. With the var
    `salesforce_conversion_rates: dated_conversion_rate`, the org's own rates convert it here
    instead (advanced currency management's DatedConversionRate, rates per one unit of the
    corporate currency): amount / rate(currency) * rate(reporting currency), both the rates in
    force on the creation date in `reporting_timezone` (METRICS.md's date; Salesforce's own
    reports use the close date), and the row leaves in the reporting currency, which the FX
    step passes through. An amount the org has no rate for (a currency or a day its rates do
    not cover, a reporting currency that is not one of the org's) comes out null: the data
    test on `amount` fails the build naming it.
#}
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunity') }}
    where not is_deleted

),

{%- set rates_from = var('salesforce_conversion_rates', 'fx_feed') %}
{%- if rates_from not in ('fx_feed', 'dated_conversion_rate') %}
    {{ exceptions.raise_compiler_error(
        "var salesforce_conversion_rates is '" ~ rates_from
        ~ "': it takes fx_feed (the default) or dated_conversion_rate") }}
{%- endif %}
{%- set org_rates = rates_from == 'dated_conversion_rate' %}
{%- if org_rates %}

corporate as (

    select upper(trim(iso_code)) as currency
    from {{ source('salesforce', 'currency_types') }}
    where is_corporate and not coalesce(is_deleted, false)

),

-- each rate's days: [start_date, next_start_date), units per one corporate unit; the
-- corporate currency is 1 on every day, whatever rows the org keeps for it
org_rates as (

    select
        upper(trim(iso_code)) as currency,
        cast(start_date as date) as start_date,
        coalesce(cast(next_start_date as date), cast('9999-12-31' as date)) as next_start_date,
        cast(conversion_rate as double precision) as conversion_rate
    from {{ source('salesforce', 'dated_conversion_rates') }}
    where not coalesce(is_deleted, false)
        and upper(trim(iso_code)) not in (select currency from corporate)

    union all

    select currency, cast('0001-01-01' as date), cast('9999-12-31' as date), 1.0
    from corporate

),

dated as (

    select
        *,
        {{ to_reporting_date('created_at') }} as created_date
    from opportunities

),

converted as (

    select
        dated.*,
        dated.amount / source_rate.conversion_rate * reporting_rate.conversion_rate
            as amount_reporting
    from dated
    left join org_rates as source_rate
        on source_rate.currency = dated.currency
        and dated.created_date >= source_rate.start_date
        and dated.created_date < source_rate.next_start_date
    left join org_rates as reporting_rate
        on reporting_rate.currency = '{{ var("reporting_currency") }}'
        and dated.created_date >= reporting_rate.start_date
        and dated.created_date < reporting_rate.next_start_date

),
{%- endif %}

conformed as (

    select
        -- ids
        opportunity_id,
        'salesforce' as source_system,

        -- dimensions
        opportunity_name,
        {%- if org_rates %}
        '{{ var("reporting_currency") }}' as currency,
        {%- else %}
        currency,
        {%- endif %}
        is_closed,
        is_won,

        -- numerics (opportunity currency, or the reporting currency by the org's own rates)
        {{ 'amount_reporting' if org_rates else 'amount' }} as amount,
        amount as amount_in_currency,

        -- timestamps
        created_at,
        case
            when is_closed then {{ reporting_midnight('close_date') }}
        end as closed_at

    from {{ 'converted' if org_rates else 'opportunities' }}

)

select * from conformed
