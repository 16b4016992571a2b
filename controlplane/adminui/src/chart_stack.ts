// Stacked column chart: per category (a time bucket) one column whose
// segments are the series (succeeded, failed), on a y axis of counts.
import { s } from "./dom";
import { box, niceTicks } from "./chart_scale";
import { xAxis, yAxis } from "./chart_axis";

export interface Stack {
  title: string; // the accessible name: what is counted, and the totals
  unit: string; // y axis label
  labels: string[]; // x label per column
  series: { name: string; cls: string; values: number[] }[]; // bottom first
  width: number;
  height?: number;
}

export function stackChart(o: Stack): SVGElement {
  const W = Math.max(280, Math.round(o.width)), H = o.height || 200;
  const b = box(W, H, { left: 44, right: 8, top: 28, bottom: 26 });
  const totals = o.labels.map((_, i) => o.series.reduce((a, x) => a + (x.values[i] || 0), 0));
  const ticks = niceTicks(Math.max(0, ...totals));
  const top = ticks[ticks.length - 1];
  const band = b.width / Math.max(1, o.labels.length);
  const bw = Math.max(2, Math.min(40, band * 0.75));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart columns stack" }, s("title", {}, o.title));
  svg.append(yAxis(b, ticks, (v) => String(v), o.unit));
  const bars = s("g", { class: "bars" });
  o.labels.forEach((label, i) => {
    let y = b.top + b.height;
    const x = b.left + band * i + (band - bw) / 2;
    for (const ser of o.series) {
      const v = ser.values[i] || 0;
      if (!v) continue;
      const bh = (v / top) * b.height;
      y -= bh;
      bars.append(s("rect", { x, y, width: bw, height: bh, class: "bar " + ser.cls, "data-value": v }, s("title", {}, `${label}: ${v} ${ser.name}`)));
    }
  });
  svg.append(bars, xAxis(b, o.labels, 56));
  return svg;
}
