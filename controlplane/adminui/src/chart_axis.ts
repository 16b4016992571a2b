// Axes of the SVG charts: a y axis of value ticks with grid lines, and an
// x axis of category labels thinned to fit.
import { s } from "./dom";
import { Box, every } from "./chart_scale";

// yAxis draws grid lines and labels for ticks (0 at the bottom of b).
export function yAxis(b: Box, ticks: number[], format: (v: number) => string, label: string): SVGElement {
  const top = ticks[ticks.length - 1] || 1;
  const g = s("g", { class: "axis y", "aria-hidden": "true" });
  for (const t of ticks) {
    const y = b.top + b.height - (t / top) * b.height;
    g.append(
      s("line", { x1: b.left, x2: b.left + b.width, y1: y, y2: y, class: t === 0 ? "base" : "grid" }),
      s("text", { x: b.left - 6, y: y + 4, "text-anchor": "end", class: "tick" }, format(t)),
    );
  }
  g.append(s("text", { x: 0, y: b.top - 16, class: "axis-label" }, label));
  return g;
}

// xAxis labels n bands of b with labels[i] under band i's centre, thinned
// so labels do not collide.
export function xAxis(b: Box, labels: string[], minPx = 48): SVGElement {
  const g = s("g", { class: "axis x", "aria-hidden": "true" });
  const band = b.width / Math.max(1, labels.length);
  const k = every(labels.length, b.width, minPx);
  labels.forEach((l, i) => {
    if (i % k !== 0) return;
    g.append(s("text", { x: b.left + band * (i + 0.5), y: b.top + b.height + 16, "text-anchor": "middle", class: "tick" }, l));
  });
  return g;
}
