-- Hourly volatility of every tracked pair: the seed's measures (range, mean of the
-- minutes' deviations, the day's CoinGecko candles and the composite score, kept
-- exactly as the seed defined them) beside two better-founded estimators:
-- realized volatility from one-minute log returns and the Parkinson high-low
-- estimator (docs/warehouse.md explains both).
{{
    config(
        unique_key=['symbol', 'window_hour'],
        partition_by=day_partition('window_hour'),
        cluster_by=['symbol'],
    )
}}

with

windows as (

    select * from {{ ref('stg_binance__windows') }}
    where {{ incremental_filter('window_start', 'window_hour') }}

),

hours as (

    select
        *,
        {{ bucket_start('window_start', 3600) }} as window_hour
    from windows

),

minutes as (

    select
        symbol,
        window_start,
        window_date,
        window_hour,
        avg_price,
        price_stddev,
        high_price,
        low_price,
        -- The return from the previous minute's close, only when that minute is
        -- the one just before in the same hour (a minute without trades leaves a
        -- gap, not a multi-minute return; each hour stands on its own windows).
        case
            when lag(window_start) over same_hour = {{ add_seconds('window_start', -60) }}
                then ln(
                    cast(close_price as {{ type_double() }})
                    / cast(lag(close_price) over same_hour as {{ type_double() }})
                )
        end as log_return,
        ln(cast(high_price as {{ type_double() }}) / cast(low_price as {{ type_double() }})) as log_high_low
    from hours
    window same_hour as (partition by symbol, window_hour order by window_start)

),

streaming_volatility as (

    select
        symbol,
        window_hour,
        min(window_date) as window_date,
        avg(avg_price) as hourly_avg_price,
        min(low_price) as hourly_low,
        max(high_price) as hourly_high,
        round((max(high_price) - min(low_price)) / avg(avg_price) * 100, 4) as hourly_range_pct,
        avg(price_stddev) as avg_price_stddev,
        count(*) as window_count,
        count(log_return) as return_count,
        sqrt(sum(log_return * log_return)) * 100 as realized_volatility_pct,
        sqrt(sum(log_high_low * log_high_low) / (4 * ln(2)) / count(*) * 60) * 100 as parkinson_volatility_pct
    from minutes
    group by symbol, window_hour

),

candle_metrics as (

    select
        symbol,
        candle_date,
        avg(candle_range) as avg_candle_range,
        avg(candle_change_pct) as avg_candle_change_pct,
        {{ count_if("candle_direction = 'bullish'") }} as bullish_candles,
        {{ count_if("candle_direction = 'bearish'") }} as bearish_candles,
        count(*) as total_candles
    from {{ ref('stg_coingecko__ohlc_candles') }}
    where is_complete
    group by symbol, candle_date

),

final as (

    select
        sv.symbol,
        sv.window_hour,
        cast(sv.hourly_avg_price as {{ type_double() }}) as hourly_avg_price,
        sv.hourly_low,
        sv.hourly_high,
        cast(sv.hourly_range_pct as {{ type_double() }}) as hourly_range_pct,
        cast(sv.avg_price_stddev as {{ type_double() }}) as avg_price_stddev,
        sv.window_count,
        cm.avg_candle_range,
        cm.avg_candle_change_pct,
        cast(cm.bullish_candles as {{ type_int() }}) as bullish_candles,
        cast(cm.bearish_candles as {{ type_int() }}) as bearish_candles,
        cm.total_candles,
        round(
            coalesce(cast(sv.hourly_range_pct as {{ type_double() }}), 0)
            + coalesce(abs(cm.avg_candle_change_pct), 0),
            4
        ) as composite_volatility_score,
        sv.return_count,
        sv.realized_volatility_pct,
        sv.parkinson_volatility_pct
    from streaming_volatility as sv
    left join candle_metrics as cm
        on sv.symbol = cm.symbol and sv.window_date = cm.candle_date

)

select * from final
