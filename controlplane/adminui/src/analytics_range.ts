// The analytics page's selection (site and date range), kept in the URL
// hash (#/analytics?site=…&range=7d|30d|custom&from=…&to=…) so a view can
// be bookmarked or shared. Dates are days in the browser's time zone,
// both ends included.

export interface Selection {
  site: string;
  range: "7d" | "30d" | "custom";
  from: string; // YYYY-MM-DD, custom only
  to: string;
}

export function readSelection(): Selection {
  const q = new URLSearchParams(location.hash.split("?")[1] || "");
  const r = q.get("range");
  return {
    site: q.get("site") || "",
    range: r === "30d" || r === "custom" ? r : "7d",
    from: q.get("from") || "",
    to: q.get("to") || "",
  };
}

// writeSelection updates the hash without a navigation (no hashchange).
export function writeSelection(sel: Selection): void {
  const q = new URLSearchParams({ site: sel.site, range: sel.range });
  if (sel.range === "custom") {
    q.set("from", sel.from);
    q.set("to", sel.to);
  }
  history.replaceState(null, "", "#/analytics?" + q.toString());
}

export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function localDay(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3]);
  return isNaN(d.getTime()) ? null : d;
}

export interface Bounds {
  from: Date; // local midnight, inclusive
  to: Date; // local midnight after the last day, exclusive
  first: string; // the first and last day shown
  last: string;
}

// bounds turns a selection into the API's [from, to), or says what is
// wrong with a custom range.
export function bounds(sel: Selection, now = new Date()): Bounds | string {
  let from: Date, to: Date;
  if (sel.range === "custom") {
    const f = localDay(sel.from), t = localDay(sel.to);
    if (!f) return "From: choose the first day.";
    if (!t) return "To: choose the last day.";
    if (t < f) return "To: the last day is before the first.";
    from = f;
    to = new Date(t.getFullYear(), t.getMonth(), t.getDate() + 1);
    if (to.getTime() - from.getTime() > 366 * 864e5) return "To: a range is at most 366 days.";
  } else {
    const n = sel.range === "30d" ? 30 : 7;
    to = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    from = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1 - n);
  }
  const last = new Date(to.getFullYear(), to.getMonth(), to.getDate() - 1);
  return { from, to, first: isoDay(from), last: isoDay(last) };
}

// rfc3339 drops the milliseconds toISOString adds.
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function timeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
