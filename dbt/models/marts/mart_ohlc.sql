-- Candles of every tracked pair for 1m, 5m, 15m, 1h and 1d UTC buckets, rolled up
-- from the best row of each minute. Every figure is the figure of the bucket's
-- trades: prices and volumes exactly, open/close from the first/last window, the
-- mean and standard deviation from the windows' exact sums.
{{
    config(
        unique_key=['symbol', 'timeframe', 'bucket_start'],
        partition_by=day_partition('bucket_start'),
        cluster_by=['symbol', 'timeframe'],
    )
}}

{%- set timeframes = {'1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86400} %}

with

windows as (

    select * from {{ ref('stg_binance__windows') }}
    where {{ incremental_filter('window_start', 'bucket_start') }}

),

{% for timeframe, seconds in timeframes.items() %}
bucketed_{{ seconds }} as (

    select
        symbol,
        coin_id,
        '{{ timeframe }}' as timeframe,
        {{ bucket_start('window_start', seconds) }} as bucket_start,
        {{ first_by('open_price', 'window_start') }} as open_price,
        max(high_price) as high_price,
        min(low_price) as low_price,
        {{ last_by('close_price', 'window_start') }} as close_price,
        sum(trade_count) as trade_count,
        sum(base_volume) as base_volume,
        sum(quote_volume) as quote_volume,
        sum(taker_buy_base_volume) as taker_buy_base_volume,
        sum(price_sum) as price_sum,
        sum(price_sq_sum) as price_sq_sum,
        {{ first_by('first_trade_id', 'window_start') }} as first_trade_id,
        {{ last_by('last_trade_id', 'window_start') }} as last_trade_id
    from windows
    group by symbol, coin_id, {{ bucket_start('window_start', seconds) }}

),

{% endfor %}
buckets as (

    {% for seconds in timeframes.values() %}
    select
        *,
        {{ add_seconds('bucket_start', seconds) }} as bucket_end
    from bucketed_{{ seconds }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        symbol,
        coin_id,
        timeframe,
        bucket_start,
        bucket_end,
        open_price,
        high_price,
        low_price,
        close_price,
        cast(trade_count as {{ type_int() }}) as trade_count,
        base_volume,
        quote_volume,
        taker_buy_base_volume,
        -- Rounded to 12 places like the windows' own (beam_pipeline/combine.py).
        round(cast(quote_volume as {{ type_double() }}) / cast(base_volume as {{ type_double() }}), 12) as vwap,
        round(cast(price_sum as {{ type_double() }}) / trade_count, 12) as avg_price,
        round({{ rollup_stddev('trade_count', 'price_sum', 'price_sq_sum', 'low_price') }}, 12) as price_stddev,
        first_trade_id,
        last_trade_id
    from buckets

)

select * from final
