{{ config(materialized='table') }}
{#
    The settings the certified tables were built with, as dbt resolved them on this run
    (dbt_project.yml's vars, with any --vars on top) and the sources it read. One row. The
    publication copies it beside the tables, the report pages take their currency from it, and
    its suite refuses a publication built with other settings than the checks assume.
#}
select
    cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
    cast('{{ var("reporting_timezone") }}' as {{ dbt.type_string() }}) as reporting_timezone,
    cast('{{ var("fx_base_currency") }}' as {{ dbt.type_string() }}) as fx_base_currency,
    cast({{ var("attribution_lookback_days") }} as integer) as attribution_lookback_days,
    cast({{ var("time_decay_half_life_days") }} as integer) as time_decay_half_life_days,
    cast('{{ var("default_attribution_model") }}' as {{ dbt.type_string() }})
        as default_attribution_model,
    cast({{ var("gross_margin") }} as double precision) as gross_margin,
    cast('{{ enabled_sources() | join(",") }}' as {{ dbt.type_string() }}) as enabled_sources
