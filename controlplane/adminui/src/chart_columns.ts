// Column chart: one bar per category (days, outcomes, ratings) on a y axis
// of counts, each bar with its value above it when there is room and in
// its tooltip always.
import { s } from "./dom";
import { box, niceTicks } from "./chart_scale";
import { xAxis, yAxis } from "./chart_axis";

export interface Columns {
  title: string; // the accessible name: what is counted, and the total
  unit: string; // y axis label, e.g. "leads"
  labels: string[]; // x label per bar
  values: number[];
  classes?: string[]; // series class per bar (colour); default "s0"
  width: number;
  height?: number;
}

export function columnChart(o: Columns): SVGElement {
  const W = Math.max(280, Math.round(o.width)), H = o.height || 220;
  const b = box(W, H, { left: 44, right: 8, top: 28, bottom: 26 });
  const ticks = niceTicks(Math.max(0, ...o.values));
  const top = ticks[ticks.length - 1];
  const band = b.width / Math.max(1, o.values.length);
  const bw = Math.max(2, Math.min(56, band * 0.7));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart columns" }, s("title", {}, o.title));
  svg.append(yAxis(b, ticks, (v) => String(v), o.unit));
  const bars = s("g", { class: "bars" });
  o.values.forEach((v, i) => {
    const bh = (v / top) * b.height;
    const x = b.left + band * i + (band - bw) / 2;
    const y = b.top + b.height - bh;
    const cls = "bar " + ((o.classes && o.classes[i]) || "s0");
    bars.append(s("rect", { x, y, width: bw, height: Math.max(0, bh), class: cls, "data-value": v }, s("title", {}, `${o.labels[i]}: ${v} ${o.unit}`)));
    if (band >= 22) bars.append(s("text", { x: x + bw / 2, y: y - 4, "text-anchor": "middle", class: "value" }, String(v)));
  });
  svg.append(bars, xAxis(b, o.labels));
  return svg;
}
