{#
    The rows a data test reads (dbt wraps every generic test's model in this
    macro). An incremental ``dbt build`` tests what it may have changed: on a
    model whose config names ``meta.rebuilt_column``, the rows from the start of
    the range the incremental marts rebuild (the newest raw window minus the
    lookback, rounded down to its UTC day, or the repaired days), a day earlier
    for the marts whose newest row lagged the raw table's. So a periodic build's
    tests take seconds and scan days, not the whole history. ``dbt test`` and
    ``dbt build --full-refresh`` test every row. A test's own ``where`` config
    applies as well.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set column = rebuilt_column(model) if execute else none -%}
    {%- if column and flags.WHICH == 'build' and not flags.FULL_REFRESH -%}
        {%- do conditions.append(rebuilt_range(column, lookback_start('window_start', raw_windows()), 1)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{# The ``meta.rebuilt_column`` of the model a test is attached to, or none. #}
{% macro rebuilt_column(test_node) -%}
    {%- set tested = graph.nodes.get(test_node.attached_node) if test_node.attached_node else none -%}
    {{ return(tested.config.meta.get('rebuilt_column') if tested else none) }}
{%- endmacro %}

{# The raw stream_prices table, the source every rebuilt range starts from. #}
{% macro raw_windows() -%}
    {%- set table = graph.sources['source.' ~ project_name ~ '.crypto_raw.stream_prices'] -%}
    {{ return(api.Relation.create(database=table.database, schema=table.schema, identifier=table.identifier)) }}
{%- endmacro %}
