{#
    The contact's lifecycle stage dates unpivoted: one row per (contact, lifecycle value)
    with a date. `source_value` is HubSpot's internal value; `lifecycle_stage_map` maps it.
#}
{%- set lifecycle_values = [
    'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead',
    'opportunity', 'customer', 'evangelist', 'other'
] -%}

with

source as (

    select * from {{ source('hubspot', 'contacts') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('hubspot', 'contacts') }}

),

unpivoted as (

    {%- for value in lifecycle_values %}
    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        '{{ value }}' as source_value,
        hs_lifecyclestage_{{ value }}_date as entered_at
    from source
    where hs_lifecyclestage_{{ value }}_date is not null
    {%- if not loop.last %}

    union all
    {% endif -%}
    {% endfor %}

),

renamed as (

    select
        -- ids
        contact_id,

        -- dimensions
        source_value,

        -- timestamps
        entered_at

    from unpivoted

)

select * from renamed
