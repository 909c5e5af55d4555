{#
    The column types of the marts' contracts, per engine. Exact prices and
    volumes keep the raw tables' decimal types (coinpulse/schemas/stream_prices.json:
    NUMERIC(38, 9), BIGNUMERIC(38, 12) and (38, 16); DuckDB stores both as
    DECIMAL); figures derived across windows are doubles.
#}

{% macro type_double() -%}
    {{ return('float64' if target.type == 'bigquery' else 'double') }}
{%- endmacro %}

{% macro type_price() -%}
    {{ return('numeric' if target.type == 'bigquery' else 'decimal(38,9)') }}
{%- endmacro %}

{% macro type_derived() -%}
    {{ return('bignumeric' if target.type == 'bigquery' else 'decimal(38,12)') }}
{%- endmacro %}

{% macro type_notional() -%}
    {{ return('bignumeric' if target.type == 'bigquery' else 'decimal(38,16)') }}
{%- endmacro %}

{% macro type_int() -%}
    {{ return('int64' if target.type == 'bigquery' else 'bigint') }}
{%- endmacro %}

{% macro type_text() -%}
    {{ return('string' if target.type == 'bigquery' else 'varchar') }}
{%- endmacro %}

{% macro type_ts() -%}
    {{ return('timestamp' if target.type == 'bigquery' else 'timestamp with time zone') }}
{%- endmacro %}

{% macro type_day() -%}
    {{ return('date') }}
{%- endmacro %}
