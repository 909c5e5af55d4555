{#
    The population standard deviation of every trade price in a set of windows,
    from the windows' exact sums: n = sum(trade_count), s = sum(price_sum),
    q = sum(price_sq_sum). Summing the squares around a shift c taken from the same
    rows (any price of the bucket; here its lowest), t1 = q - 2cs + nc^2 =
    sum((p - c)^2) and t2 = s - nc = sum(p - c) are exact decimals of the size of
    the bucket's spread, so n * variance = t1 - t2^2 / n loses nothing to the
    cancellation that q / n - (s / n)^2 suffers at large prices. Only that last
    step and the square root are done in double precision.
#}
{% macro rollup_stddev(trade_count, price_sum, price_sq_sum, shift) -%}
    sqrt(greatest(
        (
            cast({{ price_sq_sum }} - 2 * {{ shift }} * {{ price_sum }} + {{ trade_count }} * {{ shift }} * {{ shift }} as {{ type_double() }})
            - pow(cast({{ price_sum }} - {{ trade_count }} * {{ shift }} as {{ type_double() }}), 2) / {{ trade_count }}
        ) / {{ trade_count }},
        0
    ))
{%- endmacro %}
