-- CoinGecko candles with their shape: range, change and direction. A candle is
-- dated by the UTC date of its open time; is_complete = false marks a candle that
-- may still change (the marts leave those out).
with

source as (

    select * from {{ source('crypto_raw', 'coingecko_ohlc_candles') }}
    where true
    qualify row_number() over (
        partition by coin_id, candle_close_time order by ingested_at desc
    ) = 1

),

coins as (

    select * from {{ ref('coins') }}

),

renamed as (

    select

        ----------  ids
        coins.pair as symbol,
        source.coin_id,

        ---------- timestamps
        source.candle_open_time,
        source.candle_close_time,
        {{ utc_date('source.candle_open_time') }} as candle_date,
        source.granularity_minutes,
        source.is_complete,
        source.ingested_at,

        ---------- prices
        source.open,
        source.high,
        source.low,
        source.close,
        source.high - source.low as candle_range,
        round((source.close - source.open) / nullif(source.open, 0) * 100, 4) as candle_change_pct,
        case when source.close >= source.open then 'bullish' else 'bearish' end as candle_direction

    from source
    left join coins on source.coin_id = coins.coin_id

)

select * from renamed
