// The analytics page (#/analytics): site and range pickers over the
// funnel and summary of /api/v1/analytics, drawn by analytics_view.
import { get, List, readOnly } from "./api";
import { h, field, status, errorText } from "./dom";
import { readSelection, writeSelection, bounds, rfc3339, timeZone, Selection, isoDay } from "./analytics_range";
import { renderAnalytics, Funnel, Summary } from "./analytics_view";
import { shareBox } from "./share";

export async function analyticsPage(el: HTMLElement): Promise<void> {
  const sites = (await get<List<{ id: string }>>("/sites?limit=500")).data.map((s) => s.id);
  if (!sites.length) {
    el.replaceChildren(h("h1", {}, "Analytics"), h("p", { class: "empty" }, "No sites yet: create one on the Sites page first."));
    return;
  }
  const sel: Selection = readSelection();
  if (!sites.includes(sel.site)) sel.site = sites[0];

  const siteSel = h("select", { name: "site" }, ...sites.map((id) => h("option", { value: id, selected: id === sel.site }, id))) as HTMLSelectElement;
  const rangeSel = h(
    "select",
    { name: "range" },
    ...[["7d", "Last 7 days"], ["30d", "Last 30 days"], ["custom", "Custom range"]].map(([v, t]) => h("option", { value: v, selected: v === sel.range }, t)),
  ) as HTMLSelectElement;
  const today = isoDay(new Date());
  const fromIn = h("input", { type: "date", name: "from", value: sel.from, max: today }) as HTMLInputElement;
  const toIn = h("input", { type: "date", name: "to", value: sel.to, max: today }) as HTMLInputElement;
  const custom = h("div", { class: "row custom" }, field("From", fromIn), field("To", toIn), h("button", { type: "submit" }, "Apply"));
  const form = h("form", { class: "controls", "aria-label": "Site and date range" }, h("div", { class: "row" }, field("Site", siteSel), field("Range", rangeSel)), custom);
  const msg = h("p", { role: "status", "aria-live": "polite", class: "status", id: "analytics-status" });
  const results = h("div", { id: "analytics-results", "aria-live": "polite" });
  const share = readOnly() ? null : shareBox(() => siteSel.value);

  let last: { f: Funnel; s: Summary } | null = null;
  let seq = 0;
  const draw = () => {
    if (last) results.replaceChildren(...renderAnalytics(last.f, last.s, results.clientWidth || el.clientWidth || 320));
  };
  const load = async () => {
    const cur: Selection = { site: siteSel.value, range: rangeSel.value as Selection["range"], from: fromIn.value, to: toIn.value };
    custom.hidden = cur.range !== "custom";
    const b = bounds(cur);
    if (typeof b === "string") {
      status(msg, b, "error");
      return;
    }
    writeSelection(cur);
    const q = new URLSearchParams({ site: cur.site, from: rfc3339(b.from), to: rfc3339(b.to), tz: timeZone() });
    const mine = ++seq;
    results.setAttribute("aria-busy", "true");
    status(msg, `Loading ${cur.site}, ${b.first} to ${b.last}…`, "info");
    try {
      const [f, s] = await Promise.all([get<Funnel>("/analytics/funnel?" + q), get<Summary>("/analytics/summary?" + q)]);
      if (mine !== seq) return; // a later selection won
      last = { f, s };
      draw();
      status(msg, `Site ${cur.site}, ${b.first} to ${b.last} (${timeZone()}).`, "ok");
    } catch (err) {
      if (mine !== seq) return;
      last = null;
      results.replaceChildren();
      status(msg, "Analytics unavailable: " + errorText(err), "error");
    } finally {
      if (mine === seq) results.removeAttribute("aria-busy");
    }
  };

  siteSel.addEventListener("change", load);
  rangeSel.addEventListener("change", () => {
    if (rangeSel.value === "custom" && !fromIn.value) {
      const b = bounds({ ...sel, range: "7d" }) as { first: string; last: string };
      fromIn.value = b.first;
      toIn.value = b.last;
    }
    load();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  let resizeTimer = 0;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => (el.isConnected ? draw() : window.removeEventListener("resize", onResize)), 150);
  };
  window.addEventListener("resize", onResize);

  el.replaceChildren(h("h1", {}, readOnly() ? `Analytics (read-only)` : "Analytics"), form, share ?? "", msg, results);
  await load();
}
