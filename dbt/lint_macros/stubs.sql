{# Lint-only stand-ins (see .sqlfluff): the BigQuery rendering of each macro. #}
{% macro bucket_start(column, seconds) %}timestamp_seconds(div(unix_seconds({{ column }}), {{ seconds }}) * {{ seconds }}){% endmacro %}
{% macro add_seconds(column, seconds) %}timestamp_add({{ column }}, interval {{ seconds }} second){% endmacro %}
{% macro utc_date(column) %}date({{ column }}){% endmacro %}
{% macro seconds_between(earlier, later) %}timestamp_diff({{ later }}, {{ earlier }}, millisecond) / 1000{% endmacro %}
{% macro hour_series(a, b) %}select hour_start from unnest(generate_timestamp_array({{ a }}, {{ b }}, interval 1 hour)) as hour_start{% endmacro %}
{% macro first_by(value, ordering) %}array_agg({{ value }} order by {{ ordering }} limit 1)[offset(0)]{% endmacro %}
{% macro last_by(value, ordering) %}array_agg({{ value }} order by {{ ordering }} desc limit 1)[offset(0)]{% endmacro %}
{% macro count_if(condition) %}countif({{ condition }}){% endmacro %}
{% macro type_double() %}float64{% endmacro %}
{% macro rollup_stddev(n, s, q, c) %}sqrt(greatest((cast({{ q }} as float64) - pow(cast({{ s }} as float64), 2) / {{ n }}) / {{ n }}, 0)){% endmacro %}
{% macro tracked_pairs() %}'BTCUSDT'{% endmacro %}
{% macro incremental_filter(a, b, c=0) %}true{% endmacro %}
{% macro day_partition(field) %}{% endmacro %}
{% macro loaded_at(relation) %}select *, cast(null as timestamp) as loaded_at from {{ relation }}{% endmacro %}
{% macro type_int() %}int64{% endmacro %}
