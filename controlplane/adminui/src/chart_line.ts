// Line chart: one or more series over the same categories (days) on a
// shared y axis; a null value is a gap in the line, not a zero.
import { s } from "./dom";
import { box, niceTicks } from "./chart_scale";
import { xAxis, yAxis } from "./chart_axis";

export interface Series {
  name: string;
  cls: string; // series class (colour)
  values: (number | null)[];
}

export interface Lines {
  title: string;
  unit: string; // y axis label
  labels: string[];
  series: Series[];
  format: (v: number) => string; // ticks and tooltips
  max?: number; // fixed top of the y axis (1 for rates)
  width: number;
  height?: number;
}

export function lineChart(o: Lines): SVGElement {
  const W = Math.max(280, Math.round(o.width)), H = o.height || 220;
  const b = box(W, H, { left: 44, right: 12, top: 28, bottom: 26 });
  const all = o.series.flatMap((x) => x.values.filter((v): v is number => v !== null));
  const ticks = o.max !== undefined ? niceTicks(o.max, 4, false) : niceTicks(Math.max(0, ...all));
  const top = ticks[ticks.length - 1] || 1;
  const band = b.width / Math.max(1, o.labels.length);
  const px = (i: number) => b.left + band * (i + 0.5);
  const py = (v: number) => b.top + b.height - (v / top) * b.height;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart lines" }, s("title", {}, o.title));
  svg.append(yAxis(b, ticks, o.format, o.unit), xAxis(b, o.labels));
  for (const ser of o.series) {
    const g = s("g", { class: "series " + ser.cls });
    let d = "";
    let pen = false;
    ser.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += (pen ? "L" : "M") + px(i).toFixed(1) + " " + py(v).toFixed(1) + " ";
      pen = true;
    });
    if (d) g.append(s("path", { d: d.trim(), class: "line" }));
    ser.values.forEach((v, i) => {
      if (v === null) return;
      g.append(s("circle", { cx: px(i), cy: py(v), r: 3.5, class: "point", "data-value": v }, s("title", {}, `${o.labels[i]}: ${ser.name} ${o.format(v)}`)));
    });
    svg.append(g);
  }
  return svg;
}
