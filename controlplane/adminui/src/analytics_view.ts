// Draws one site's analytics (the answers of /analytics/funnel and
// /analytics/summary) as charts and tables at a given width.
import { h, pct } from "./dom";
import { columnChart } from "./chart_columns";
import { rowChart } from "./chart_rows";
import { lineChart } from "./chart_line";
import { dayLabel, percent } from "./chart_scale";
import { figure, dataTable, empty } from "./chart_figure";

export interface Funnel {
  steps: { name: string; visitors: number }[];
}

export interface Summary {
  events: { name: string; events: number }[];
  leads_per_day: { day: string; leads: number }[];
  permission_per_day: { day: string; given: number; denied: number; given_rate: number | null }[];
  permission: { given: number; denied: number; given_rate: number | null };
  experts_busy: { sessions: number; busy_sessions: number; busy_rate: number | null };
  calls: { successful: number; missed: number; abandoned: number };
  ratings: { rating: number; count: number }[];
  screens: { screen: string; visitors: number; views: number }[];
  leads_by_utm: { source: string; medium: string; campaign: string; leads: number }[];
  leads_by_page: { page: string; leads: number }[];
}

// What each default funnel step means to a site owner.
const STEP_NAMES: Record<string, string> = {
  nudge_show: "Saw the nudge",
  nudge_open: "Opened the nudge",
  popin_widget_open: "Opened the widget",
  popin_permission_given: "Gave camera permission",
  popin_captured: "Left their details",
  popin_call_end: "Finished a call",
};

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

function section(id: string, title: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", { id, class: "panel", "aria-labelledby": id + "-h" }, h("h2", { id: id + "-h" }, title), ...body);
}

export function renderAnalytics(f: Funnel, s: Summary, width: number): HTMLElement[] {
  const w = Math.max(280, Math.min(width - 34, 960)); // inside a panel's padding and border
  const totalEvents = sum(s.events.map((e) => e.events));
  if (totalEvents === 0) return [h("p", { class: "empty", id: "no-events" }, "No events in this range.")];
  const leads = sum(s.leads_per_day.map((d) => d.leads));
  const calls = s.calls.successful + s.calls.missed + s.calls.abandoned;
  const rate = (r: number | null) => (r === null ? "—" : pct(r));

  const facts = h(
    "dl",
    { class: "facts kpis", id: "kpis" },
    ...[
      ["Events", String(totalEvents)],
      ["Leads", String(leads)],
      ["Permission given", `${rate(s.permission.given_rate)} (${s.permission.given} of ${s.permission.given + s.permission.denied})`],
      ["Experts busy", `${rate(s.experts_busy.busy_rate)} of ${plural(s.experts_busy.sessions, "session")}`],
      ["Calls", String(calls)],
    ].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );

  // Funnel: visitors at each step, and the share of the previous step's.
  const steps = f.steps.map((st, i) => {
    const prev = i > 0 ? f.steps[i - 1].visitors : 0;
    return { label: STEP_NAMES[st.name] || st.name, name: st.name, value: st.visitors, note: i === 0 ? "" : prev ? pct(st.visitors / prev) + " of previous" : "—" };
  });
  const funnel = sum(steps.map((x) => x.value))
    ? figure(
        "Visitors who reached each step after every earlier one; the percentage is the conversion from the step before.",
        rowChart({ title: `Funnel: ${steps.map((x) => `${x.label} ${x.value}`).join(", ")}`, unit: "visitors", rows: steps, width: w }),
        [{ name: "Visitors", cls: "s0" }],
        dataTable("Funnel", ["Step", "Event", "Visitors", "From previous step"], steps.map((x) => [x.label, x.name, x.value, x.note || "—"])),
      )
    : empty("No visitor reached the first step in this range.");

  const days = s.leads_per_day.map((d) => dayLabel(d.day));
  const leadsFig = leads
    ? figure(
        `Leads (popin_captured) per day: ${leads} in all.`,
        columnChart({ title: `Leads per day, ${leads} in all`, unit: "leads", labels: days, values: s.leads_per_day.map((d) => d.leads), width: w }),
        [{ name: "Leads", cls: "s0" }],
        dataTable("Leads per day", ["Day", "Leads"], s.leads_per_day.map((d) => [d.day, d.leads])),
      )
    : empty("No leads in this range.");

  const answered = s.permission.given + s.permission.denied;
  const permFig = answered
    ? figure(
        "Share of camera/microphone permission requests answered yes, per day (no point on days without answers).",
        lineChart({
          title: `Permission given per day; ${rate(s.permission.given_rate)} over the range`,
          unit: "given",
          labels: s.permission_per_day.map((d) => dayLabel(d.day)),
          series: [{ name: "Permission given", cls: "s1", values: s.permission_per_day.map((d) => d.given_rate) }],
          format: percent,
          max: 1,
          width: w,
        }),
        [{ name: "Permission given (% of answers)", cls: "s1" }],
        dataTable("Permission per day", ["Day", "Given", "Denied", "Rate"], s.permission_per_day.map((d) => [d.day, d.given, d.denied, rate(d.given_rate)])),
      )
    : empty("No permission answers in this range.");

  const outcome = [
    ["Successful", s.calls.successful, "s2"],
    ["Missed", s.calls.missed, "s3"],
    ["Abandoned", s.calls.abandoned, "s4"],
  ] as [string, number, string][];
  const callsFig = calls
    ? figure(
        `Calls by outcome, from Popin's server webhooks: ${calls} in all.`,
        columnChart({ title: `Calls by outcome: ${outcome.map(([n, v]) => `${n} ${v}`).join(", ")}`, unit: "calls", labels: outcome.map((o) => o[0]), values: outcome.map((o) => o[1]), classes: outcome.map((o) => o[2]), width: Math.min(w, 480) }),
        outcome.map(([n, , c]) => ({ name: n, cls: c })),
      )
    : empty("No calls in this range.");

  const rated = sum(s.ratings.map((r) => r.count));
  const ratingsFig = rated
    ? figure(
        `Ratings given after a call: ${plural(rated, "rating")}.`,
        columnChart({ title: `Ratings: ${s.ratings.map((r) => `${r.rating}: ${r.count}`).join(", ")}`, unit: "ratings", labels: s.ratings.map((r) => String(r.rating)), values: s.ratings.map((r) => r.count), classes: s.ratings.map(() => "s5"), width: Math.min(w, 480) }),
        [{ name: "Ratings (x: the rating given)", cls: "s5" }],
      )
    : empty("No ratings in this range.");

  const screensFig = s.screens.length
    ? figure(
        "Widget screens reached: distinct visitors per screen (views in the table).",
        rowChart({ title: `Screens reached: ${s.screens.map((x) => `${x.screen} ${x.visitors}`).join(", ")}`, unit: "visitors", rows: s.screens.map((x) => ({ label: x.screen || "(unnamed)", value: x.visitors, note: plural(x.views, "view") })), cls: "s6", width: w }),
        [{ name: "Visitors", cls: "s6" }],
        dataTable("Screens", ["Screen", "Visitors", "Views"], s.screens.map((x) => [x.screen || "(unnamed)", x.visitors, x.views])),
      )
    : empty("No screen changes in this range.");

  const dash = (x: string) => x || "—";
  const utm = s.leads_by_utm.length
    ? dataTable("Leads by campaign (UTM tags of the page where the lead was left), most first", ["Source", "Medium", "Campaign", "Leads"], s.leads_by_utm.map((u) => [dash(u.source), dash(u.medium), dash(u.campaign), u.leads]))
    : empty("No leads in this range.");
  const pages = s.leads_by_page.length
    ? dataTable("Leads by page (address without query or fragment), most first", ["Page", "Leads"], s.leads_by_page.map((p) => [p.page || "(unknown)", p.leads]))
    : empty("No leads in this range.");

  return [
    section("summary", "Key figures", facts),
    section("funnel", "Funnel", funnel),
    section("leads", "Leads per day", leadsFig),
    section("permission", "Permission rate", permFig),
    section("calls", "Calls by outcome", callsFig),
    section("ratings", "Ratings", ratingsFig),
    section("screens", "Screens reached", screensFig),
    section("utm", "Leads by campaign", h("div", { class: "scroll" }, utm)),
    section("pages", "Leads by page", h("div", { class: "scroll" }, pages)),
  ];
}
