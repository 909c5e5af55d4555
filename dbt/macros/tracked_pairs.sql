{#
    The pairs this deployment tracks: COINPULSE_PAIRS (comma-separated), the same
    setting the relay and the CoinGecko lane read (coinpulse/symbols.py). The
    default equals symbols.DEFAULT_PAIRS; tests/dbt checks that they agree.
#}
{% macro tracked_pairs() -%}
    {%- set setting = env_var('COINPULSE_PAIRS', 'BTCUSDT,ETHUSDT,SOLUSDT,BNBUSDT,ADAUSDT') -%}
    {%- set pairs = [] -%}
    {%- for item in setting.split(',') if item.strip() -%}
        {%- do pairs.append("'" ~ item.strip().upper() ~ "'") -%}
    {%- endfor -%}
    {{ return(pairs | join(', ')) }}
{%- endmacro %}
