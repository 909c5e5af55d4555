"""The market panels: the seed's six, and the candles with a timeframe variable.

Each function returns one panel builder; its SQL comes from ``queries``. The seed's
panels were latest price per coin coloured by direction, average price per minute on a
logarithmic axis, the hourly volatility score as a green-to-red gradient, market cap
rankings, the day's candles with bearish rows marked, and the 24 h change %.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, candlestick, stat, table, timeseries
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import candlestick as cm
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from dashboards.grafana import queries
from dashboards.grafana.variables import target

GREEN = "green"
RED = "red"


def thresholds(*steps: tuple[float | None, str]) -> db.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (minus infinity)."""
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=value, color=color) for value, color in steps])
    )


def red_below_zero() -> db.ThresholdsConfig:
    return thresholds((None, RED), (0, GREEN))


def latest_price() -> stat.Panel:
    """The last close per coin; the change over the range is shown green up, red down."""
    return (
        stat.Panel()
        .title("Latest price")
        .description("Last 1-minute close per coin; the percentage is the change over the range.")
        .with_target(target(queries.LATEST_PRICE))
        .unit("currencyUSD")
        .decimals(2)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .show_percent_change(True)
        .percent_change_color_mode(common.PercentChangeColorMode.STANDARD)
        .color_mode(common.BigValueColorMode.NONE)
        .graph_mode(common.BigValueGraphMode.AREA)
        .height(5)
        .span(24)
    )


def average_price_per_minute() -> timeseries.Panel:
    """The average trade price per interval (at least a minute), on a log10 axis so coins
    priced in cents and in tens of thousands share one chart."""
    return (
        timeseries.Panel()
        .title("Average price per minute")
        .with_target(target(queries.AVERAGE_PRICE_PER_MINUTE))
        .interval("1m")
        .unit("currencyUSD")
        .scale_distribution(cb.ScaleDistributionConfig().type(common.ScaleDistribution.LOG).log(10))
        .height(9)
        .span(12)
    )


def hourly_volatility() -> timeseries.Panel:
    """mart_volatility's composite score per hour, bars shaded green (calm) to red."""
    return (
        timeseries.Panel()
        .title("Hourly volatility score")
        .with_target(target(queries.HOURLY_VOLATILITY))
        .draw_style(common.GraphDrawStyle.BARS)
        .fill_opacity(80)
        .gradient_mode(common.GraphGradientMode.SCHEME)
        .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.CONTINUOUS_GR_YL_RD))
        .min(0)
        .height(9)
        .span(12)
    )


def market_cap_rankings() -> table.Panel:
    """The latest CoinGecko snapshot per coin, by market cap rank."""
    return (
        table.Panel()
        .title("Market cap rankings")
        .with_target(target(queries.MARKET_CAP_RANKINGS, table=True))
        .override_by_name("market_cap", [dm.DynamicConfigValue(id_val="unit", value="currencyUSD")])
        .override_by_name(
            "total_volume", [dm.DynamicConfigValue(id_val="unit", value="currencyUSD")]
        )
        .height(8)
        .span(12)
    )


def day_candles() -> table.Panel:
    """The hourly candles of the range's last day; a bearish candle's whole row is red."""
    direction_colours = dm.ValueMap(
        options={
            "bearish": dm.ValueMappingResult(color=RED, index=0),
            "bullish": dm.ValueMappingResult(color=GREEN, index=1),
        }
    )
    row_colour = common.TableColoredBackgroundCellOptions(
        mode=common.TableCellBackgroundDisplayMode.BASIC, apply_to_row=True
    )
    return (
        table.Panel()
        .title("Today's candles")
        .description("Hourly candles of the last day in the range; bearish rows in red.")
        .with_target(target(queries.DAY_CANDLES, table=True))
        .override_by_name(
            "direction",
            [
                dm.DynamicConfigValue(id_val="mappings", value=[direction_colours]),
                dm.DynamicConfigValue(id_val="custom.cellOptions", value=row_colour),
            ],
        )
        .override_by_name("change_pct", [dm.DynamicConfigValue(id_val="unit", value="percent")])
        .height(8)
        .span(12)
    )


def change_24h() -> bargauge.Panel:
    """CoinGecko's 24 h price change per coin, red below zero."""
    return (
        bargauge.Panel()
        .title("24 h change %")
        .with_target(target(queries.CHANGE_24H, table=True))
        .unit("percent")
        .decimals(2)
        .thresholds(red_below_zero())
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .reduce_options(cb.ReduceDataOptions().values(True).calcs([]))
        .height(8)
        .span(24)
    )


def candles() -> candlestick.Panel:
    """mart_ohlc's candles of ``${symbol}`` at ``${timeframe}``, with volume bars."""
    return (
        candlestick.Panel()
        .title("Candles: ${symbol} ${timeframe}")
        .with_target(target(queries.CANDLES, table=True))
        .mode(cm.VizDisplayMode.CANDLES_VOLUME)
        .candle_style(cm.CandleStyle.CANDLES)
        .color_strategy(cm.ColorStrategy.OPEN_CLOSE)
        .colors(candlestick.CandlestickColors().up(GREEN).down(RED).flat("gray"))
        .include_all_fields(False)
        .unit("currencyUSD")
        .height(12)
        .span(24)
    )
