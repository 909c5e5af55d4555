-- Per tracked pair and UTC hour: how many minutes have a window, how many trades
-- they hold, how many trade ids no window holds (the continuity check of
-- coinpulse/completeness.py: gaps within a window count in its hour, gaps between
-- two windows in the hour of the later one), trades that came too late, dead
-- letters that name the pair, and how long windows took to be emitted and loaded.
-- Hours without any window are present with zeros: an outage shows as a hole.
{{
    config(
        unique_key=['symbol', 'window_hour'],
        partition_by=day_partition('window_hour'),
        cluster_by=['symbol'],
    )
}}

{%- set in_scope = incremental_filter('window_start', 'window_hour') %}

with

all_windows as (

    select * from {{ ref('stg_binance__windows') }}

),

scoped as (

    select *, true as in_scope from all_windows
    where {{ in_scope }}

),

-- The last window before the scope of each pair, so the first window in scope is
-- checked against its predecessor exactly as in a full build. It is looked for in
-- the 31 days before (a pair silent for longer starts its check afresh).
predecessors as (

    select *, false as in_scope from all_windows
    where {{ incremental_filter('window_start', 'window_hour', 31) }} and not ({{ in_scope }})
    qualify row_number() over (partition by symbol order by window_start desc) = 1

),

checked as (

    select
        *,
        {{ bucket_start('window_start', 3600) }} as window_hour,
        lag(last_trade_id) over (partition by symbol order by window_start) as previous_last_id
    from (
        select * from scoped
        union all
        select * from predecessors
    ) as windows

),

loaded as (

    {{ loaded_at('checked') }}

),

window_hours as (

    select
        symbol,
        window_hour,
        count(*) as windows_present,
        sum(trade_count) as trades,
        sum(
            (last_trade_id - first_trade_id + 1 - trade_count)
            + case
                when first_trade_id > previous_last_id + 1 then first_trade_id - previous_last_id - 1
                else 0
            end
        ) as missing_trade_ids,
        sum(
            case
                when first_trade_id <= previous_last_id then previous_last_id - first_trade_id + 1
                else 0
            end
        ) as trade_ids_counted_twice,
        max({{ seconds_between('window_end', 'emitted_at') }}) as max_emit_lag_seconds,
        max({{ seconds_between('window_end', 'loaded_at') }}) as max_load_lag_seconds
    from loaded
    where in_scope
    group by symbol, window_hour

),

spine as (

    select pairs.symbol, hours.hour_start as window_hour
    from (
        {{ hour_series(
            '(select min(window_hour) from window_hours)',
            '(select max(window_hour) from window_hours)',
        ) }}
    ) as hours
    cross join (select distinct symbol from window_hours) as pairs

),

late as (

    select
        symbol,
        {{ bucket_start('window_start', 3600) }} as window_hour,
        count(distinct trade_id) as late_trades
    from {{ source('crypto_raw', 'late_trades') }}
    group by symbol, {{ bucket_start('window_start', 3600) }}

),

dead as (

    select
        {{ bucket_start('received_at', 3600) }} as window_hour,
        raw
    from {{ source('crypto_raw', 'dead_letters') }}

),

dead_by_pair as (

    select
        spine.symbol,
        spine.window_hour,
        count(dead.raw) as dead_letters
    from spine
    inner join dead
        on spine.window_hour = dead.window_hour and strpos(upper(dead.raw), spine.symbol) > 0
    group by spine.symbol, spine.window_hour

),

final as (

    select
        spine.symbol,
        spine.window_hour,
        coalesce(wh.windows_present, 0) as windows_present,
        cast(coalesce(wh.trades, 0) as {{ type_int() }}) as trades,
        cast(coalesce(wh.missing_trade_ids, 0) as {{ type_int() }}) as missing_trade_ids,
        cast(coalesce(wh.trade_ids_counted_twice, 0) as {{ type_int() }}) as trade_ids_counted_twice,
        coalesce(late.late_trades, 0) as late_trades,
        coalesce(dead_by_pair.dead_letters, 0) as dead_letters,
        cast(wh.max_emit_lag_seconds as {{ type_double() }}) as max_emit_lag_seconds,
        cast(wh.max_load_lag_seconds as {{ type_double() }}) as max_load_lag_seconds
    from spine
    left join window_hours as wh on spine.symbol = wh.symbol and spine.window_hour = wh.window_hour
    left join late on spine.symbol = late.symbol and spine.window_hour = late.window_hour
    left join dead_by_pair on spine.symbol = dead_by_pair.symbol and spine.window_hour = dead_by_pair.window_hour

)

select * from final
