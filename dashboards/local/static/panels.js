// The panels that are not charts: price tiles, bar lists and tables, drawn from the
// rows of /api/* with DOM nodes (text is never parsed as HTML).
"use strict";

const Panels = (() => {
  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "class") node.className = value;
      else if (name === "style") node.setAttribute("style", value);
      else node.dataset[name] = value;
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function message(target, text, isError = false) {
    target.replaceChildren(element("p", { class: isError ? "message error" : "message" }, text));
  }

  // Latest price per pair, coloured by the direction since the window before.
  function latest(target, rows, onPick) {
    if (!rows.length) return message(target, "No windows in crypto_mart.mart_crypto_prices yet.");
    target.replaceChildren(
      ...rows.map((row) => {
        const change = row.previous_price === null ? null : row.price - row.previous_price;
        const direction = change === null ? "" : change >= 0 ? "up" : "down";
        const arrow = change === null ? "" : change >= 0 ? "▲" : "▼";
        const tile = element(
          "div",
          { class: `tile ${direction}`, symbol: row.symbol },
          element("div", { class: "pair" }, row.symbol),
          element("div", { class: "price" }, Format.usdt(row.price)),
          element("div", { class: "move" }, change === null ? "–" : `${arrow} ${Format.price(Math.abs(change))}`),
          element("div", { class: "when" }, Format.time(row.time)),
        );
        tile.addEventListener("click", () => onPick(row.symbol));
        return tile;
      }),
    );
  }

  // Horizontal bars: value(row) sets the length, colour(row, share) the colour.
  function bars(target, rows, value, label, colour, emptyText) {
    const shown = rows.filter((row) => value(row) !== null && value(row) !== undefined);
    if (!shown.length) return message(target, emptyText);
    const largest = Math.max(...shown.map((row) => Math.abs(value(row)))) || 1;
    const signed = shown.some((row) => value(row) < 0);
    target.replaceChildren(
      ...shown.map((row) => {
        const share = Math.abs(value(row)) / largest;
        const width = signed ? share * 50 : share * 100;
        const left = signed && value(row) < 0 ? 50 - width : signed ? 50 : 0;
        const bar = element("div", {
          class: "bar",
          style: `left:${left}%;width:${Math.max(width, 0.5)}%;background:${colour(row, share)}`,
        });
        return element(
          "div",
          { class: "bar-row", symbol: row.symbol },
          element("span", {}, row.symbol),
          element("div", { class: "bar-track" }, bar),
          element("span", { class: "bar-value" }, label(row)),
        );
      }),
    );
  }

  // Green (calm) to red (wild), as the score's share of the highest score shown.
  function gradient(share) {
    return `hsl(${Math.round(120 * (1 - share))}, 80%, 45%)`;
  }

  function table(target, columns, rows, rowClass = () => "", emptyText = "No rows yet.") {
    if (!rows.length) return message(target, emptyText);
    const head = element("tr", {}, ...columns.map(([title]) => element("th", {}, title)));
    const body = rows.map((row) =>
      element(
        "tr",
        { class: rowClass(row) },
        ...columns.map(([, show, cellClass]) =>
          element("td", { class: cellClass ? cellClass(row) : "" }, show(row)),
        ),
      ),
    );
    target.replaceChildren(element("table", {}, element("thead", {}, head), element("tbody", {}, ...body)));
  }

  return { element, message, latest, bars, gradient, table };
})();
