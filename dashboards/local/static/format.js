// Number and time formatting shared by the panels. Prices are in USDT (every pair
// is quoted in Tether); times are UTC, as the warehouse stores them.
"use strict";

const Format = (() => {
  const grouped = (digits) =>
    new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const two = grouped(2);
  const four = grouped(4);
  const six = grouped(6);

  // Enough decimals to tell two ticks apart: ADA near 0.25 needs four, BTC needs two.
  function price(value) {
    if (value === null || value === undefined) return "–";
    const size = Math.abs(value);
    if (size >= 100) return two.format(value);
    if (size >= 1) return four.format(value);
    return six.format(value);
  }

  function usdt(value) {
    return `${price(value)} USDT`;
  }

  function percent(value) {
    if (value === null || value === undefined) return "–";
    const sign = value > 0 ? "+" : "";
    return `${sign}${two.format(value)} %`;
  }

  // 1.57T, 289.00B, 9.54B: market caps in US dollars, as CoinGecko reports them.
  function dollars(value) {
    if (value === null || value === undefined) return "–";
    const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, unit] of units) {
      if (Math.abs(value) >= size) return `$${two.format(value / size)}${unit}`;
    }
    return `$${two.format(value)}`;
  }

  function count(value) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat("en-US").format(value);
  }

  function time(epochSeconds) {
    if (epochSeconds === null || epochSeconds === undefined) return "–";
    return new Date(epochSeconds * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function age(epochSeconds) {
    if (epochSeconds === null || epochSeconds === undefined) return "–";
    const seconds = Math.max(0, Math.round(Date.now() / 1000 - epochSeconds));
    if (seconds < 120) return `${seconds} s ago`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} days ago`;
  }

  return { price, usdt, percent, dollars, count, time, age };
})();
