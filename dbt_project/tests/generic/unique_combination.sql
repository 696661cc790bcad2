{#
    The grain test: no two rows share the same values of `combination_of_columns`.
    (dbt_utils.unique_combination_of_columns, written here because the project installs no
    hub packages.) Nulls compare equal, so a null in a grain column is a duplicate like any other.

        data_tests:
          - unique_combination:
              arguments:
                combination_of_columns: [date, channel]
#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as rows_sharing_the_grain
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
