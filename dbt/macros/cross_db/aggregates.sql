{#
    The value of the row that comes first (or last) by an ordering, in one
    aggregate: DuckDB's arg_min/arg_max, BigQuery's ordered array_agg.
#}

{% macro first_by(value, ordering) -%}
    {{ return(adapter.dispatch('first_by', 'coinpulse')(value, ordering)) }}
{%- endmacro %}

{% macro default__first_by(value, ordering) -%}
    array_agg({{ value }} order by {{ ordering }} limit 1)[offset(0)]
{%- endmacro %}

{% macro duckdb__first_by(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}


{% macro last_by(value, ordering) -%}
    {{ return(adapter.dispatch('last_by', 'coinpulse')(value, ordering)) }}
{%- endmacro %}

{% macro default__last_by(value, ordering) -%}
    array_agg({{ value }} order by {{ ordering }} desc limit 1)[offset(0)]
{%- endmacro %}

{% macro duckdb__last_by(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}


{% macro count_if(condition) -%}
    {{ return(adapter.dispatch('count_if', 'coinpulse')(condition)) }}
{%- endmacro %}

{% macro default__count_if(condition) -%}
    countif({{ condition }})
{%- endmacro %}

{% macro duckdb__count_if(condition) -%}
    count_if({{ condition }})
{%- endmacro %}
