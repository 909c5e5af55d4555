{#
    When each window row reached the warehouse. The local warehouse records every
    load in its ledger (commands/duckdb_warehouse.py): a row was loaded by the first
    stream_prices load at or after its emission. BigQuery keeps no per-row load
    time, so there the column is null and load lag comes from the loader's
    metrics instead.
#}
{% macro loaded_at(windows_relation) -%}
    {{ return(adapter.dispatch('loaded_at', 'coinpulse')(windows_relation)) }}
{%- endmacro %}

{% macro default__loaded_at(windows_relation) -%}
    select *, cast(null as timestamp) as loaded_at from {{ windows_relation }}
{%- endmacro %}

{% macro duckdb__loaded_at(windows_relation) -%}
    select w.*, ledger.loaded_at
    from {{ windows_relation }} as w
    asof left join (
        select loaded_at from {{ env_var('COINPULSE_RAW_DATASET', 'crypto_raw') }}._load_ledger
        where table_name = 'stream_prices'
    ) as ledger
        on w.emitted_at <= ledger.loaded_at
{%- endmacro %}
