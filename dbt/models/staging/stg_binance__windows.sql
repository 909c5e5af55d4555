-- The best row of every (symbol, window_start) of the tracked pairs: the rule of
-- coinpulse/windows.py (most distinct trades, then the latest emission, then the
-- highest pane index).
with

source as (

    select * from {{ source('crypto_raw', 'stream_prices') }}
    where symbol in ({{ tracked_pairs() }})

),

best as (

    select * from source
    where true
    qualify row_number() over (
        partition by symbol, window_start
        order by trade_count desc, emitted_at desc, pane_index desc
    ) = 1

),

renamed as (

    select

        ----------  ids
        symbol,
        coin_id,

        ---------- timestamps
        window_start,
        window_end,
        {{ utc_date('window_start') }} as window_date,
        emitted_at,
        first_trade_time,
        last_trade_time,

        ---------- prices
        open_price,
        high_price,
        low_price,
        close_price,
        avg_price,
        price_stddev,
        vwap,

        ---------- sums
        trade_count,
        base_volume,
        quote_volume,
        taker_buy_base_volume,
        taker_buy_quote_volume,
        price_sum,
        price_sq_sum,

        ---------- trade ids
        first_trade_id,
        last_trade_id,

        ---------- lineage
        duplicates_dropped,
        pane_index,
        pane_timing

    from best

)

select * from renamed
