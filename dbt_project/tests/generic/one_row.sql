{#
    The grain test of a one-row table (the settings a run was built with): exactly one row.

        data_tests:
          - one_row
#}
{% test one_row(model) %}

select count(*) as row_count
from {{ model }}
having count(*) <> 1

{% endtest %}
