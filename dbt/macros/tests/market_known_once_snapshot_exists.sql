{#
    For the default coins, a window dated on or after the coin's first market
    snapshot must carry that market context: the join between stream and markets
    works (the seed's broken join left every market column null).
#}
{% test market_known_once_snapshot_exists(model, column_name) %}

with

tested as (

    select * from {{ model }}

),

first_snapshot as (

    select coin_id, min(snapshot_date) as first_date
    from {{ ref('stg_coingecko__markets') }}
    group by coin_id

)

select tested.*
from tested
inner join first_snapshot on tested.coin_id = first_snapshot.coin_id
where
    tested.symbol in ('BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'ADAUSDT')
    and {{ utc_date('tested.window_start') }} >= first_snapshot.first_date
    and tested.{{ column_name }} is null

{% endtest %}
