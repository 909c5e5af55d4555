{#
    No two rows share the values of ``columns`` (a mart's key), and none of them
    is null.
#}
{% test unique_key(model, columns) %}

select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1 or {{ columns | join(' is null or ') }} is null

{% endtest %}
