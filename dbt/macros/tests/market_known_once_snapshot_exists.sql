{#
    For the default coins, a window dated on or after the coin's first market
    snapshot must carry that market context: the join between stream and markets
    works (the seed's broken join left every market column null).
#}
{% test market_known_once_snapshot_exists(model, column_name) %}

with

first_snapshot as (

    select coin_id, min(snapshot_date) as first_date
    from {{ ref('stg_coingecko__markets') }}
    group by coin_id

)

select model.*
from {{ model }} as model
inner join first_snapshot on model.coin_id = first_snapshot.coin_id
where
    model.symbol in ('BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'ADAUSDT')
    and {{ utc_date('model.window_start') }} >= first_snapshot.first_date
    and model.{{ column_name }} is null

{% endtest %}
