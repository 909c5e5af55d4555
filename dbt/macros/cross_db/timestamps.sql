{#
    Time arithmetic that must not depend on a session time zone: buckets are
    counted from the Unix epoch in seconds, dates are UTC dates.
#}

{% macro bucket_start(column, seconds) -%}
    {{ return(adapter.dispatch('bucket_start', 'coinpulse')(column, seconds)) }}
{%- endmacro %}

{% macro default__bucket_start(column, seconds) -%}
    timestamp_seconds(div(unix_seconds({{ column }}), {{ seconds }}) * {{ seconds }})
{%- endmacro %}

{% macro duckdb__bucket_start(column, seconds) -%}
    to_timestamp((epoch({{ column }})::bigint // {{ seconds }}) * {{ seconds }})
{%- endmacro %}


{% macro add_seconds(column, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'coinpulse')(column, seconds)) }}
{%- endmacro %}

{% macro default__add_seconds(column, seconds) -%}
    timestamp_add({{ column }}, interval {{ seconds }} second)
{%- endmacro %}

{% macro duckdb__add_seconds(column, seconds) -%}
    ({{ column }} + to_seconds({{ seconds }}))
{%- endmacro %}


{% macro utc_date(column) -%}
    {{ return(adapter.dispatch('utc_date', 'coinpulse')(column)) }}
{%- endmacro %}

{% macro default__utc_date(column) -%}
    date({{ column }})
{%- endmacro %}

{% macro duckdb__utc_date(column) -%}
    cast(timezone('UTC', {{ column }}) as date)
{%- endmacro %}


{% macro date_start(column) -%}
    {{ return(adapter.dispatch('date_start', 'coinpulse')(column)) }}
{%- endmacro %}

{% macro default__date_start(column) -%}
    timestamp({{ column }})
{%- endmacro %}

{% macro duckdb__date_start(column) -%}
    timezone('UTC', cast({{ column }} as timestamp))
{%- endmacro %}


{% macro seconds_between(earlier, later) -%}
    {{ return(adapter.dispatch('seconds_between', 'coinpulse')(earlier, later)) }}
{%- endmacro %}

{% macro default__seconds_between(earlier, later) -%}
    timestamp_diff({{ later }}, {{ earlier }}, millisecond) / 1000
{%- endmacro %}

{% macro duckdb__seconds_between(earlier, later) -%}
    (epoch_ms({{ later }}) - epoch_ms({{ earlier }})) / 1000
{%- endmacro %}


{% macro timestamp_literal(text) -%}
    {{ return(adapter.dispatch('timestamp_literal', 'coinpulse')(text)) }}
{%- endmacro %}

{% macro default__timestamp_literal(text) -%}
    timestamp '{{ text }}'
{%- endmacro %}

{% macro duckdb__timestamp_literal(text) -%}
    timestamptz '{{ text }}'
{%- endmacro %}


{% macro hour_series(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('hour_series', 'coinpulse')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__hour_series(start_expression, end_expression) -%}
    select hour_start
    from unnest(generate_timestamp_array(({{ start_expression }}), ({{ end_expression }}), interval 1 hour)) as hour_start
{%- endmacro %}

{% macro duckdb__hour_series(start_expression, end_expression) -%}
    select unnest(generate_series(({{ start_expression }}), ({{ end_expression }}), interval 1 hour)) as hour_start
{%- endmacro %}
