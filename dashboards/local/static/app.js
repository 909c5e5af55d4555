// The CoinPulse dashboard: TradingView-style candles over crypto_mart.mart_ohlc, the
// market panels and the pipeline's health, refreshed every few seconds.
//
// Reads are incremental: after the first read of a pair and timeframe, each refresh
// asks only for the candles from the start of the newest one it holds (that one may
// still change) on, and the average-price chart likewise; the server answers 304 when
// nothing changed. window.coinpulse exposes what the page shows, for tests and the
// benchmark's time to first render.
"use strict";

(() => {
  const LC = LightweightCharts;
  const DEFAULT_COLOURS = {
    "bull-body": "#00ff88",
    "bull-wick": "#00cc66",
    "bear-body": "#ff4444",
    "bear-wick": "#cc3333",
  };
  const THEMES = {
    dark: { background: "#1a1a1a", text: "#d1d4dc", grid: "#2a2a2a" },
    light: { background: "#ffffff", text: "#191c22", grid: "#eceef1" },
  };
  // One colour per pair on the average-price chart.
  const LINE_COLOURS = ["#f7931a", "#8c8cff", "#14f195", "#f3ba2f", "#3cc8c8", "#e86fd0", "#b0b0b0"];
  const VOLUME_ALPHA = "66"; // volume bars: the body colours at 40 % opacity

  const saved = (name, fallback) => localStorage.getItem(`coinpulse.${name}`) || fallback;
  const state = {
    symbol: null,
    timeframe: saved("timeframe", "1m"),
    theme: saved("theme", "dark"),
    refreshSeconds: 5,
    candleGeneration: 0, // bumped on every pair or timeframe change
    lastCandle: null, // epoch seconds of the newest candle held
    lastPrice: null, // epoch seconds of the newest average price held
    lines: new Map(), // pair -> line series of the average-price chart
    stale: false,
    failures: [],
  };
  const page = {
    renders: 0,
    firstRender: null,
    refreshes: 0,
    candles: () => candleSeries.data().map((bar) => ({ ...bar })),
    volumes: () => volumeSeries.data().map((bar) => ({ ...bar })),
    candleOptions: () => candleSeries.options(),
    background: () => candleChart.options().layout.background.color,
    state,
  };
  window.coinpulse = page;

  const $ = (id) => document.getElementById(id);
  const colour = (name) => $(name).value;

  // logarithmic: the average-price chart, where BTC near 80,000 and ADA near 0.25 share an axis.
  function chartOptions(theme, logarithmic = false) {
    const look = THEMES[theme];
    const scale = logarithmic
      ? { mode: LC.PriceScaleMode.Logarithmic, scaleMargins: { top: 0.12, bottom: 0.08 } }
      : {};
    return {
      autoSize: true,
      layout: { background: { type: "solid", color: look.background }, textColor: look.text },
      grid: { vertLines: { color: look.grid }, horzLines: { color: look.grid } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: look.grid },
      rightPriceScale: { borderColor: look.grid, ...scale },
      localization: { priceFormatter: Format.price },
    };
  }

  const candleChart = LC.createChart($("candles"), chartOptions(state.theme));
  const candleSeries = candleChart.addSeries(LC.CandlestickSeries, { priceLineVisible: true });
  candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.27 } });
  const volumeSeries = candleChart.addSeries(LC.HistogramSeries, {
    priceFormat: { type: "volume" },
    priceScaleId: "volume",
    lastValueVisible: false,
    priceLineVisible: false,
  });
  volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });

  const priceChart = LC.createChart($("prices"), chartOptions(state.theme, true));

  function applyColours() {
    candleSeries.applyOptions({
      upColor: colour("bull-body"),
      borderUpColor: colour("bull-wick"),
      wickUpColor: colour("bull-wick"),
      downColor: colour("bear-body"),
      borderDownColor: colour("bear-wick"),
      wickDownColor: colour("bear-wick"),
    });
    volumeSeries.setData(volumeSeries.data().map((bar) => ({ ...bar, color: volumeColour(bar.bullish) })));
    for (const name of Object.keys(DEFAULT_COLOURS)) localStorage.setItem(`coinpulse.${name}`, colour(name));
  }

  function volumeColour(bullish) {
    return (bullish ? colour("bull-body") : colour("bear-body")) + VOLUME_ALPHA;
  }

  function applyTheme(theme) {
    state.theme = theme;
    localStorage.setItem("coinpulse.theme", theme);
    document.body.className = theme;
    $("theme").textContent = theme === "dark" ? "Light theme" : "Dark theme";
    candleChart.applyOptions(chartOptions(theme));
    priceChart.applyOptions(chartOptions(theme, true));
  }

  async function getJSON(path) {
    // "no-cache" revalidates with the ETag: an unchanged answer costs a 304.
    const response = await fetch(path, { cache: "no-cache" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
    if (body.stale) state.stale = true;
    return body.rows;
  }

  function bar(row) {
    return { time: row.time, open: row.open, high: row.high, low: row.low, close: row.close };
  }

  function volume(row) {
    const bullish = row.close >= row.open;
    return { time: row.time, value: row.volume, color: volumeColour(bullish), bullish };
  }

  function showLegend(row) {
    const legend = $("legend");
    const head = Panels.element("b", {}, `${state.symbol} · ${state.timeframe} · USDT`);
    if (!row) return legend.replaceChildren(head);
    const values = ["O", row.open, "H", row.high, "L", row.low, "C", row.close];
    const text = [];
    for (let i = 0; i < values.length; i += 2) text.push(`${values[i]} ${Format.price(values[i + 1])}`);
    legend.replaceChildren(head, `  ${text.join("  ")}`);
  }

  candleChart.subscribeCrosshairMove((param) => {
    const shown = param.seriesData.get(candleSeries);
    const data = candleSeries.data();
    showLegend(shown || data[data.length - 1]);
  });

  async function loadCandles() {
    const generation = state.candleGeneration;
    const since = state.lastCandle === null ? "" : `&since=${state.lastCandle}`;
    const query = `symbol=${encodeURIComponent(state.symbol)}&timeframe=${state.timeframe}${since}`;
    const rows = await getJSON(`/api/candles?${query}`);
    if (generation !== state.candleGeneration) return; // the pair or timeframe changed meanwhile
    if (state.lastCandle === null) {
      candleSeries.setData(rows.map(bar));
      volumeSeries.setData(rows.map(volume));
      candleChart.timeScale().fitContent();
    } else {
      for (const row of rows) {
        candleSeries.update(bar(row));
        volumeSeries.update(volume(row));
      }
    }
    if (rows.length) state.lastCandle = rows[rows.length - 1].time;
    $("candles-message").textContent = candleSeries.data().length
      ? ""
      : `No ${state.timeframe} candles of ${state.symbol} in crypto_mart.mart_ohlc yet.`;
    const data = candleSeries.data();
    showLegend(data[data.length - 1]);
    page.renders += 1;
    if (page.firstRender === null && data.length) page.firstRender = performance.now();
  }

  function chooseCandles(symbol, timeframe) {
    state.symbol = symbol;
    state.timeframe = timeframe;
    state.candleGeneration += 1;
    state.lastCandle = null;
    localStorage.setItem("coinpulse.timeframe", timeframe);
    $("pair").value = symbol;
    for (const button of document.querySelectorAll("#timeframes button")) {
      button.classList.toggle("active", button.dataset.timeframe === timeframe);
    }
    return Promise.all([loadCandles(), loadDayCandles()]);
  }

  function fillPairs(pairs) {
    const select = $("pair");
    const known = [...select.options].map((option) => option.value);
    if (known.join() === pairs.join()) return;
    select.replaceChildren(...pairs.map((pair) => Panels.element("option", {}, pair)));
    if (state.symbol) select.value = state.symbol;
  }

  async function loadLatest() {
    const rows = await getJSON("/api/latest");
    const pairs = rows.map((row) => row.symbol);
    if (pairs.length) fillPairs(pairs);
    Panels.latest($("latest"), rows, (pair) => chooseCandles(pair, state.timeframe));
    Panels.bars(
      $("marketcap"),
      [...rows].sort((a, b) => (a.market_cap_rank ?? 1e9) - (b.market_cap_rank ?? 1e9)),
      (row) => row.market_cap,
      (row) => `#${row.market_cap_rank ?? "–"} ${Format.dollars(row.market_cap)}`,
      () => "var(--bull)",
      "No CoinGecko market data in the mart yet.",
    );
    Panels.bars(
      $("change24h"),
      rows,
      (row) => row.price_change_percentage_24h,
      (row) => Format.percent(row.price_change_percentage_24h),
      (row) => (row.price_change_percentage_24h >= 0 ? "var(--bull)" : "var(--bear)"),
      "No CoinGecko market data in the mart yet.",
    );
    return pairs;
  }

  async function loadPrices() {
    const since = state.lastPrice === null ? "" : `?since=${state.lastPrice}`;
    const rows = await getJSON(`/api/prices${since}`);
    const byPair = new Map();
    for (const row of rows) {
      if (!byPair.has(row.symbol)) byPair.set(row.symbol, []);
      byPair.get(row.symbol).push({ time: row.time, value: row.avg_price });
    }
    for (const [pair, points] of byPair) {
      let line = state.lines.get(pair);
      if (!line) {
        const lineColour = LINE_COLOURS[state.lines.size % LINE_COLOURS.length];
        line = priceChart.addSeries(LC.LineSeries, { color: lineColour, lineWidth: 2, lastValueVisible: false, priceLineVisible: false });
        state.lines.set(pair, line);
        $("prices-legend").append(Panels.element("span", { style: `color:${lineColour}` }, `■ ${pair}`));
      }
      const held = line.data();
      const newest = held.length ? held[held.length - 1].time : -Infinity;
      if (!held.length) line.setData(points);
      else for (const point of points) if (point.time >= newest) line.update(point);
    }
    if (state.lastPrice === null && rows.length) priceChart.timeScale().fitContent();
    if (rows.length) state.lastPrice = Math.min(...[...byPair.values()].map((p) => p[p.length - 1].time));
    $("prices-message").textContent = state.lines.size ? "" : "No windows in the mart yet.";
  }

  async function loadVolatility() {
    const rows = await getJSON("/api/volatility");
    Panels.bars(
      $("volatility"),
      rows,
      (row) => row.score,
      (row) =>
        row.realized_volatility_pct === null || row.realized_volatility_pct === undefined
          ? row.score.toFixed(4)
          : `${row.score.toFixed(4)} (realized ${row.realized_volatility_pct.toFixed(2)} %)`,
      (row, share) => Panels.gradient(share),
      "No hourly scores in crypto_mart.mart_volatility yet.",
    );
  }

  async function loadDayCandles() {
    const symbol = state.symbol;
    const rows = await getJSON(`/api/day-candles?symbol=${encodeURIComponent(symbol)}`);
    $("day-candles-title").textContent = `The day's hourly candles: ${symbol} (USDT)`;
    Panels.table(
      $("day-candles"),
      [
        ["Hour", (row) => Format.time(row.time)],
        ["Open", (row) => Format.price(row.open)],
        ["High", (row) => Format.price(row.high)],
        ["Low", (row) => Format.price(row.low)],
        ["Close", (row) => Format.price(row.close)],
        ["Change", (row) => Format.percent(row.change_pct)],
        ["Trades", (row) => Format.count(row.trade_count)],
        ["Direction", (row) => row.direction],
      ],
      rows,
      (row) => row.direction,
      "No hourly candles yet.",
    );
  }

  function part(target, answer, show) {
    if (answer.error) return Panels.message(target, answer.error, true);
    if (answer.stale) state.stale = true;
    show(answer.rows);
  }

  async function loadHealth() {
    const response = await fetch("/api/health", { cache: "no-cache" });
    const health = await response.json();
    part($("freshness"), health.freshness, (rows) =>
      Panels.table($("freshness"), [
        ["Pair", (row) => row.symbol],
        ["Newest window (raw)", (row) => Format.time(row.raw_newest)],
        ["Age", (row) => Format.age(row.raw_newest)],
        ["Newest window (mart)", (row) => Format.time(row.mart_newest)],
        ["Mart behind raw", (row) => (row.raw_newest && row.mart_newest ? `${Math.round((row.raw_newest - row.mart_newest) / 60)} min` : "–")],
      ], rows),
    );
    const flag = (value) => (value > 0 ? "bad" : "good");
    part($("completeness"), health.completeness, (rows) =>
      Panels.table($("completeness"), [
        ["Pair", (row) => row.symbol],
        ["Checked", (row) => Format.time(row.checked_at)],
        ["Windows", (row) => Format.count(row.windows)],
        ["Trades", (row) => Format.count(row.trades)],
        ["Missing trades", (row) => Format.count(row.missing_trades), (row) => flag(row.missing_trades)],
        ["Counted twice", (row) => Format.count(row.counted_twice), (row) => flag(row.counted_twice)],
      ], rows, () => "", "coinpulse verify has not run yet."),
    );
    part($("pipeline"), health.pipeline, (rows) =>
      Panels.table($("pipeline"), [
        ["Pair", (row) => row.symbol],
        ["Hours", (row) => Format.count(row.hours)],
        ["Windows", (row) => Format.count(row.windows)],
        ["Trades", (row) => Format.count(row.trades)],
        ["Missing ids", (row) => Format.count(row.missing_trade_ids), (row) => flag(row.missing_trade_ids)],
        ["Counted twice", (row) => Format.count(row.trade_ids_counted_twice), (row) => flag(row.trade_ids_counted_twice)],
        ["Late trades", (row) => Format.count(row.late_trades), (row) => flag(row.late_trades)],
        ["Dead letters", (row) => Format.count(row.dead_letters), (row) => flag(row.dead_letters)],
        ["Worst load lag", (row) => (row.max_load_lag_seconds === null ? "–" : `${row.max_load_lag_seconds.toFixed(0)} s`)],
      ], rows, () => "", "No hours in the mart yet."),
    );
    part($("dead-letters"), health.dead_letters, (rows) =>
      Panels.table($("dead-letters"), [
        ["Stage", (row) => row.stage],
        ["Reason", (row) => row.reason],
        ["Letters", (row) => Format.count(row.letters), () => "bad"],
        ["Newest", (row) => Format.time(row.newest)],
      ], rows, () => "", "No dead letters."),
    );
  }

  async function settle(name, promise) {
    try {
      await promise;
    } catch (error) {
      state.failures.push(`${name}: ${error.message}`);
    }
  }

  async function refresh() {
    state.stale = false;
    state.failures = [];
    // Before the first windows arrive there is no pair to chart: the first one that appears is chosen.
    const latestThenFirstPair = loadLatest().then((pairs) => {
      if (!state.symbol && pairs.length) return chooseCandles(pairs[0], state.timeframe);
    });
    const jobs = [settle("latest", latestThenFirstPair), settle("prices", loadPrices()), settle("volatility", loadVolatility())];
    if (state.symbol) jobs.push(settle("candles", loadCandles()), settle("day candles", loadDayCandles()));
    if (!$("health").hidden) jobs.push(settle("health", loadHealth()));
    await Promise.all(jobs);
    page.refreshes += 1;
    const status = $("status");
    const clock = new Date().toISOString().slice(11, 19);
    status.className = state.stale || state.failures.length ? "stale" : "";
    status.title = state.failures.join("\n");
    status.textContent = state.failures.length
      ? `${clock} UTC: ${state.failures[0]}`
      : state.stale
        ? `${clock} UTC: the warehouse is busy; showing the last answer`
        : `updated ${clock} UTC`;
  }

  function refreshForever() {
    setTimeout(async () => {
      await refresh();
      refreshForever();
    }, state.refreshSeconds * 1000);
  }

  function wireControls(timeframes) {
    $("timeframes").replaceChildren(
      ...timeframes.map((frame) => {
        const button = Panels.element("button", { timeframe: frame }, frame);
        button.addEventListener("click", () => chooseCandles(state.symbol, frame));
        return button;
      }),
    );
    $("pair").addEventListener("change", (event) => chooseCandles(event.target.value, state.timeframe));
    $("theme").addEventListener("click", () => applyTheme(state.theme === "dark" ? "light" : "dark"));
    for (const name of Object.keys(DEFAULT_COLOURS)) {
      $(name).value = saved(name, DEFAULT_COLOURS[name]);
      $(name).addEventListener("input", applyColours);
    }
    $("colours-reset").addEventListener("click", () => {
      for (const [name, value] of Object.entries(DEFAULT_COLOURS)) $(name).value = value;
      applyColours();
    });
    for (const tab of document.querySelectorAll("nav .tab")) {
      tab.addEventListener("click", () => {
        for (const other of document.querySelectorAll("nav .tab")) other.classList.toggle("active", other === tab);
        for (const main of document.querySelectorAll("main.page")) main.hidden = main.id !== tab.dataset.tab;
        if (tab.dataset.tab === "health") settle("health", loadHealth());
      });
    }
  }

  async function start() {
    const config = await (await fetch("/api/config")).json();
    state.refreshSeconds = config.refresh_seconds;
    document.title = config.title;
    if (!config.timeframes.includes(state.timeframe)) state.timeframe = config.timeframes[0];
    wireControls(config.timeframes);
    applyTheme(state.theme);
    applyColours();
    // The tracked pairs until the mart's latest prices say which pairs have windows.
    let pairs = config.pairs;
    fillPairs(pairs);
    try {
      const priced = await loadLatest();
      if (priced.length) pairs = priced;
    } catch (error) {
      state.failures.push(`latest: ${error.message}`);
    }
    const asked = new URLSearchParams(location.search).get("pair");
    const symbol = pairs.includes(asked) ? asked : pairs[0];
    if (symbol) await settle("candles", chooseCandles(symbol, state.timeframe));
    await refresh();
    refreshForever();
  }

  start();
})();
