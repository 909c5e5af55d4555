{#
    Rows for which a boolean SQL expression is false: the test fails when any row
    breaks it (a NULL outcome is not a failure, so optional columns stay optional).
#}
{% test expression_is_true(model, expression, column_name=none) %}

select * from {{ model }}
where not ({{ expression }})

{% endtest %}
