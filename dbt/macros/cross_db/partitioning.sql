{#
    How a mart is laid out: on BigQuery partitioned by the UTC day of its time
    column (a year of marts is a few hundred partitions, far below the 10,000 per
    table limit) and clustered by symbol; DuckDB has no such layout (its
    partition_by means Hive-partitioned external files), so nothing there.
#}
{% macro day_partition(field) -%}
    {{ return(adapter.dispatch('day_partition', 'coinpulse')(field)) }}
{%- endmacro %}

{% macro default__day_partition(field) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__day_partition(field) -%}
    {{ return({'field': field, 'data_type': 'timestamp', 'granularity': 'day'}) }}
{%- endmacro %}
