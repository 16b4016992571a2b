// Scales, ticks and label spacing shared by the SVG charts (chart_*.ts).
// Charts are drawn at the pixel width of their container, so one SVG unit
// is one CSS pixel and text stays readable at any width.

// niceTicks returns 0 and round steps (1, 2 or 5 × 10^k) up to the first
// tick at or above max, about n steps in all. Integer steps when integers.
export function niceTicks(max: number, n = 4, integers = true): number[] {
  if (!(max > 0)) max = integers ? 1 : 0.01;
  const raw = max / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const r = raw / mag;
  let step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
  if (integers) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let i = 0; i <= n + 2; i++) {
    const v = Math.round(i * step * 1e6) / 1e6;
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

// every returns k such that showing every k-th of n labels leaves at least
// minPx between them over px pixels.
export function every(n: number, px: number, minPx: number): number {
  if (n <= 0) return 1;
  return Math.max(1, Math.ceil(n / Math.max(1, Math.floor(px / minPx))));
}

// dayLabel shows "2026-12-06" as "Dec 6".
export function dayLabel(day: string): string {
  const d = new Date(day + "T12:00:00Z");
  return isNaN(d.getTime()) ? day : d.toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

// percent shows a fraction as a whole percentage ("75%").
export function percent(x: number): string {
  return Math.round(x * 100) + "%";
}

// Box is the plot area inside a chart: margins left for axes and labels.
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function box(width: number, height: number, m: { left: number; right: number; top: number; bottom: number }): Box {
  return { left: m.left, top: m.top, width: Math.max(40, width - m.left - m.right), height: Math.max(40, height - m.top - m.bottom) };
}
