{#
    Where an incremental run starts rebuilding: the newest stored window minus
    var('lookback_minutes'), rounded down to its UTC day, so every bucket up to a
    day (and every window of the current market snapshot's day) is recomputed from
    all its windows and merged whole, never a partial set. A repair of older
    minutes passes var('rebuild_since') (and var('rebuild_until')): the days they
    touch are rebuilt whole as well. Evaluated when the model compiles, so the
    bound is a literal that BigQuery uses to prune partitions.
#}
{% macro incremental_since(time_column) -%}
    {{ return(lookback_start(time_column, this)) }}
{%- endmacro %}

{#
    The newest ``time_column`` of ``relation`` minus var('lookback_minutes'),
    rounded down to its UTC day; none while the relation is empty.
#}
{% macro lookback_start(time_column, relation) -%}
    {%- set query -%}
        select {{ bucket_start(add_seconds('max(' ~ time_column ~ ')', -60 * var('lookback_minutes')), 86400) }}
        from {{ relation }}
    {%- endset -%}
    {%- set result = run_query(query) if execute else none -%}
    {%- set since = result.columns[0].values()[0] if result and result.columns[0].values()[0] is not none else none -%}
    {{ return(since) }}
{%- endmacro %}

{#
    The condition on a staging model's window_start for an incremental run, or
    "true" for a full build. ``earlier_days`` moves the start that many days back
    (the health mart looks there for the window before the rebuilt ones).
#}
{% macro incremental_filter(window_column='window_start', mart_column='window_start', earlier_days=0) -%}
    {%- if is_incremental() -%}
        {{ return(rebuilt_range(window_column, incremental_since(mart_column), earlier_days)) }}
    {%- else -%}
        {{ return('true') }}
    {%- endif -%}
{%- endmacro %}

{#
    ``column`` at or after ``since`` (a datetime, or none for no such bound), or
    within the UTC days of the repair that var('rebuild_since') and
    var('rebuild_until') name; both starts moved ``earlier_days`` back.
#}
{% macro rebuilt_range(column, since, earlier_days=0) -%}
    {%- set back = -86400 * earlier_days -%}
    {%- set conditions = [] -%}
    {%- if since is not none -%}
        {%- do conditions.append(column ~ ' >= ' ~ add_seconds(timestamp_literal(since.strftime('%Y-%m-%d %H:%M:%S+00')), back)) -%}
    {%- endif -%}
    {%- if var('rebuild_since') -%}
        {%- set repair = [column ~ ' >= ' ~ add_seconds(bucket_start(timestamp_literal(var('rebuild_since')), 86400), back)] -%}
        {%- if var('rebuild_until') -%}
            {%- do repair.append(column ~ ' < ' ~ add_seconds(bucket_start(timestamp_literal(var('rebuild_until')), 86400), 86400)) -%}
        {%- endif -%}
        {%- do conditions.append('(' ~ repair | join(' and ') ~ ')') -%}
    {%- endif -%}
    {{ return('(' ~ (conditions | join(' or ') if conditions else 'true') ~ ')') }}
{%- endmacro %}
