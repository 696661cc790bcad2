-- The money formats of every page, from the currency the published tables were built in
-- (certified.warehouse_settings, dbt's `reporting_currency`): a page never assumes one.
-- `whole` rounds to units, `cents` keeps two decimals; the prefix is the currency's symbol
-- where it is unambiguous in a marketing report, else its ISO code.
with settings as (
    select reporting_currency as currency from certified.warehouse_settings
),
prefixed as (
    select
        currency,
        case currency
            when 'USD' then '$'
            when 'EUR' then '€'
            when 'GBP' then '£'
            when 'JPY' then '¥'
            when 'INR' then '₹'
            when 'KRW' then '₩'
            else currency || ' '
        end as prefix
    from settings
)
select
    currency,
    '"' || prefix || '"#,##0' as whole,
    '"' || prefix || '"#,##0.00' as cents
from prefixed
