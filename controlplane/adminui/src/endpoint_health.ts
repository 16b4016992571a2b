// An endpoint's health: success rate, latency and a stacked chart of
// succeeded and failed attempts over a window the user picks.
import { get, Stats } from "./api";
import { h, pct, when, errorText } from "./dom";
import { figure, dataTable, empty } from "./chart_figure";
import { stackChart } from "./chart_stack";

const WINDOWS: [string, string][] = [
  ["1h", "last hour"],
  ["24h", "last 24 hours"],
  ["168h", "last 7 days"],
  ["720h", "last 30 days"],
];

export function healthSection(base: string): { el: HTMLElement; load(): Promise<void> } {
  const pick = h("select", { name: "window", "aria-label": "Health window" }, ...WINDOWS.map(([v, t]) => h("option", { value: v, selected: v === "24h" }, t))) as HTMLSelectElement;
  const title = h("h2", { id: "health-h" }, "Health");
  const body = h("div", { "aria-live": "polite" });
  const el = h("section", { "aria-labelledby": "health-h", class: "health" }, h("div", { class: "row" }, title, pick), body);
  const load = async () => {
    const label = WINDOWS.find(([v]) => v === pick.value)?.[1] || pick.value;
    let st: Stats;
    try {
      st = await get<Stats>(`${base}/stats?window=${pick.value}`);
    } catch (err) {
      body.replaceChildren(h("p", {}, "Statistics unavailable: " + errorText(err)));
      return;
    }
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Success rate"),
      h("dd", {}, st.attempts ? pct(st.success_rate) : "no attempts"),
      h("dt", {}, "Attempts"),
      h("dd", {}, String(st.attempts)),
      h("dt", {}, "Latency p50 / p95"),
      h("dd", {}, `${st.p50_ms} ms / ${st.p95_ms} ms`),
      h("dt", {}, "Last success"),
      h("dd", {}, when(st.last_success_at)),
      h("dt", {}, "By status"),
      h("dd", {}, Object.entries(st.counts).map(([k, v]) => `${k}: ${v}`).join(", ") || "—"),
    );
    body.replaceChildren(facts, chart(st, label, Math.min(720, body.clientWidth || el.clientWidth || 640)));
  };
  pick.addEventListener("change", load);
  return { el, load };
}

function chart(st: Stats, label: string, width: number): HTMLElement {
  const ok = st.series.map((b) => b.succeeded);
  const bad = st.series.map((b) => b.failed);
  const total = ok.reduce((a, b) => a + b, 0) + bad.reduce((a, b) => a + b, 0);
  if (!total) return empty(`No deliveries in the ${label} (test sends are not counted).`);
  const span = st.series.length > 1 ? Date.parse(st.series[st.series.length - 1].start) - Date.parse(st.series[0].start) : 0;
  const fmt = (iso: string) => {
    const d = new Date(iso);
    return span > 36 * 3600e3
      ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" })
      : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  };
  const labels = st.series.map((b) => fmt(b.start));
  const failed = bad.reduce((a, b) => a + b, 0);
  const svg = stackChart({
    title: `Attempts over the ${label}: ${total} in all, ${failed} failed.`,
    unit: "attempts",
    labels,
    series: [
      { name: "succeeded", cls: "s2", values: ok },
      { name: "failed", cls: "s3", values: bad },
    ],
    width,
  });
  const rows = st.series.map((b, i) => [labels[i], b.succeeded, b.failed, b.p95_ms]);
  return figure(
    `Attempts per interval, ${label}`,
    svg,
    [
      { name: "succeeded", cls: "s2" },
      { name: "failed", cls: "s3" },
    ],
    dataTable("Attempts per interval", ["From", "Succeeded", "Failed", "p95 ms"], rows),
  );
}
