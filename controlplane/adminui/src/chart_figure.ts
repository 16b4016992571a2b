// The frame around a chart: a figure with its caption, a legend in HTML
// (it wraps at narrow widths) and the chart's numbers as a table for screen
// readers and keyboard users, behind a disclosure.
import { h } from "./dom";

export interface LegendItem {
  name: string;
  cls: string; // the series class, which sets the swatch colour
}

export function figure(caption: string, chart: Element, legend: LegendItem[], table?: HTMLElement): HTMLElement {
  return h(
    "figure",
    { class: "chart-figure" },
    h("figcaption", {}, caption),
    legend.length ? h("ul", { class: "legend" }, ...legend.map((l) => h("li", {}, h("span", { class: "swatch " + l.cls, "aria-hidden": "true" }), l.name))) : null,
    chart,
    table ? h("details", {}, h("summary", {}, "Show the numbers"), table) : null,
  );
}

// dataTable is a plain table of rows under headers.
export function dataTable(caption: string, headers: string[], rows: (string | number)[][]): HTMLElement {
  return h(
    "table",
    { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, String(c)) : h("td", {}, String(c))))))),
  );
}

// empty is the placeholder of a chart without data.
export function empty(text: string): HTMLElement {
  return h("p", { class: "empty" }, text);
}
