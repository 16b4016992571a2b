// Row chart: one horizontal bar per item (funnel steps, screens), its name
// on the left above the bar and its value (with an optional note, such as
// the conversion from the previous step) on the right, so long names stay
// readable on a phone.
import { s } from "./dom";
import { niceTicks } from "./chart_scale";

export interface Row {
  label: string;
  value: number;
  note?: string;
}

export interface Rows {
  title: string;
  unit: string; // e.g. "visitors"
  rows: Row[];
  cls?: string; // series class; default "s0"
  width: number;
}

const ROW = 46, BAR = 16, AXIS = 26;

export function rowChart(o: Rows): SVGElement {
  const W = Math.max(280, Math.round(o.width)), L = 4, R = 12;
  const pw = W - L - R;
  const H = o.rows.length * ROW + AXIS + 4;
  const ticks = niceTicks(Math.max(0, ...o.rows.map((r) => r.value)));
  const top = ticks[ticks.length - 1];
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart rows" }, s("title", {}, o.title));
  const axis = s("g", { class: "axis x", "aria-hidden": "true" });
  const bottom = o.rows.length * ROW;
  for (const t of ticks) {
    const x = L + (t / top) * pw;
    axis.append(
      s("line", { x1: x, x2: x, y1: 0, y2: bottom, class: t === 0 ? "base" : "grid" }),
      s("text", { x, y: bottom + 16, "text-anchor": t === 0 ? "start" : t === top ? "end" : "middle", class: "tick" }, String(t)),
    );
  }
  svg.append(axis);
  o.rows.forEach((r, i) => {
    const y = i * ROW;
    const g = s("g", { class: "row" });
    g.append(
      s("text", { x: L, y: y + 14, class: "label" }, r.label),
      s("text", { x: W - R, y: y + 14, "text-anchor": "end", class: "value" }, String(r.value) + (r.note ? " · " + r.note : "")),
      s("rect", { x: L, y: y + 20, width: Math.max(0, (r.value / top) * pw), height: BAR, class: "bar " + (o.cls || "s0"), "data-value": r.value },
        s("title", {}, `${r.label}: ${r.value} ${o.unit}${r.note ? " (" + r.note + ")" : ""}`)),
    );
    svg.append(g);
  });
  return svg;
}
