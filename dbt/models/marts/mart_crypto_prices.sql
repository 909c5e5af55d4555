-- Every minute of every tracked pair with the market as it stood that UTC day: the
-- latest CoinGecko snapshot dated on or before the window's date (an as-of join;
-- rebuilding history never stamps today's market cap on last month's minutes).
{{
    config(
        unique_key=['symbol', 'window_start'],
        partition_by=day_partition('window_start'),
        cluster_by=['symbol'],
    )
}}

with

windows as (

    select * from {{ ref('stg_binance__windows') }}
    where {{ incremental_filter('window_start', 'window_start') }}

),

coins as (

    select * from {{ ref('coins') }}

),

markets as (

    select
        *,
        lead(snapshot_date) over (partition by coin_id order by snapshot_date) as next_snapshot_date
    from {{ ref('stg_coingecko__markets') }}

),

joined as (

    select

        ----------  ids
        windows.symbol,
        windows.coin_id,
        coins.ticker,

        ---------- timestamps
        windows.window_start,
        windows.window_end,

        ---------- the window's figures
        windows.close_price as price_usd,
        windows.open_price,
        windows.high_price,
        windows.low_price,
        windows.close_price,
        windows.avg_price,
        windows.price_stddev,
        windows.vwap,
        windows.trade_count,
        windows.base_volume,
        windows.quote_volume,

        ---------- the market that day
        markets.snapshot_date,
        markets.name,
        markets.market_cap,
        markets.market_cap_rank,
        markets.market_cap_category,
        markets.total_volume,
        markets.fully_diluted_valuation,
        markets.price_change_percentage_24h

    from windows
    left join coins on windows.symbol = coins.pair
    left join markets
        on
            windows.coin_id = markets.coin_id
            and windows.window_date >= markets.snapshot_date
            and (markets.next_snapshot_date is null or windows.window_date < markets.next_snapshot_date)

)

select * from joined
