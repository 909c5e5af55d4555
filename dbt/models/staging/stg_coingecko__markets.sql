-- One market snapshot per coin and UTC day, named like the stream (symbol = the
-- Binance pair from the symbol map; ticker = CoinGecko's symbol) and sized.
with

source as (

    select * from {{ source('crypto_raw', 'coingecko_markets') }}
    where true
    qualify row_number() over (
        partition by coin_id, snapshot_date order by ingested_at desc
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
        source.symbol as ticker,
        source.name,

        ---------- numerics
        source.current_price,
        source.market_cap,
        source.market_cap_rank,
        source.fully_diluted_valuation,
        source.total_volume,
        source.price_change_24h,
        source.price_change_percentage_24h,
        case
            when source.market_cap is null then null
            when source.market_cap >= 1e10 then 'large_cap'
            when source.market_cap >= 1e9 then 'mid_cap'
            when source.market_cap >= 1e8 then 'small_cap'
            else 'micro_cap'
        end as market_cap_category,

        ---------- timestamps
        source.snapshot_date,
        source.last_updated,
        source.ingested_at

    from source
    left join coins on source.coin_id = coins.coin_id

)

select * from renamed
