// Erasures: request that one person's data on a site be erased, and the
// list of requests (the audit: no personal data, only a hash of the
// identifier). Unfinished requests are polled until they end.
import { get, post, List, enc, APIError } from "./api";
import { h, field, status, errorText, when } from "./dom";

interface Erasure {
  id: string;
  site: string;
  kind: string;
  subject_hash: string;
  status: string;
  requested_by: string;
  requested_at: string;
  started_at?: string;
  finished_at?: string;
  counts: { events: number; deliveries: number; uids: number };
  error?: string;
  waiting?: string;
}

const KINDS: [string, string][] = [
  ["email", "E-mail"],
  ["phone", "Phone"],
  ["uid", "User id (uid)"],
  ["aid", "Anonymous id (aid)"],
];
const POLL_MS = 2000;

const unfinished = (e: Erasure) => e.status === "pending" || e.status === "running";

export async function erasuresPage(el: HTMLElement): Promise<void> {
  const sites = await get<List<{ id: string }>>("/sites?limit=500");
  const opts = sites.data.map((s) => h("option", { value: s.id }, s.id));
  const site = h("select", { name: "site", required: true }, ...opts) as HTMLSelectElement;
  const kind = h("select", { name: "kind" }, ...KINDS.map(([v, t]) => h("option", { value: v }, t))) as HTMLSelectElement;
  const value = h("input", { name: "value", required: true, autocomplete: "off", spellcheck: "false" }) as HTMLInputElement;
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "erase-h" },
    h("h2", { id: "erase-h" }, "Erase a person"),
    h("p", {}, "Deletes the person's events, empties the bodies of their delivery attempts and forgets their remembered consent. E-mail and phone are found hashed, raw or encrypted. The identifier is not kept: the request's record holds only a hash of it."),
    h("div", { class: "row" }, field("Site", site), field("Identifier", kind), field("Value", value, "As the visitor gave it; a phone without country code is read in the site's default phone region.")),
    h("button", { type: "submit" }, "Request erasure"),
    msg,
  );

  const filter = h("select", { name: "site-filter", "aria-label": "Show requests of" }, h("option", { value: "" }, "All sites"), ...sites.data.map((s) => h("option", { value: s.id }, s.id))) as HTMLSelectElement;
  const listBox = h("div", { class: "scroll" });
  let timer = 0;
  const load = async () => {
    window.clearTimeout(timer);
    if (!el.isConnected || !location.hash.startsWith("#/erasures")) return; // the page was left
    const q = filter.value ? "&site=" + enc(filter.value) : "";
    try {
      const l = await get<List<Erasure>>("/erasures?limit=100" + q);
      listBox.replaceChildren(table(l.data));
      if (l.data.some(unfinished)) timer = window.setTimeout(load, POLL_MS);
    } catch (e) {
      const why = e instanceof APIError && e.status === 503 ? "Erasure is unavailable on this bridge: " + e.message : errorText(e);
      listBox.replaceChildren(h("p", { role: "alert", class: "status error" }, why));
    }
  };
  filter.addEventListener("change", load);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const j = await post<Erasure>("/erasures", { site: site.value, [kind.value]: value.value.trim() });
      value.value = ""; // personal data does not stay on screen
      status(msg, `Erasure ${j.id} requested: ${j.status}.`, "ok");
      load();
    } catch (ex) {
      const why = ex instanceof APIError && ex.status === 503 ? "Erasure is unavailable on this bridge: " + ex.message : errorText(ex);
      status(msg, why, "error");
      if ((ex as APIError).field && (ex as APIError).field !== "site") value.focus();
    }
  });

  el.replaceChildren(h("h1", {}, "Erasures"), form, h("h2", {}, "Requests"), field("Site", filter), listBox);
  await load();
}

function table(rows: Erasure[]): HTMLElement {
  const removed = (e: Erasure) => (e.status === "done" ? `${e.counts.events} events, ${e.counts.deliveries} delivery bodies, ${e.counts.uids} consents` : "—");
  return h(
    "table",
    {},
    h("caption", {}, rows.length ? `${rows.length} request${rows.length === 1 ? "" : "s"}, newest first` : "No erasure requests yet."),
    h("thead", {}, h("tr", {}, ...["Requested", "Site", "Identifier", "Status", "Removed", "Finished", "Request"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((e) =>
        h(
          "tr",
          { "data-erasure": e.id },
          h("td", {}, when(e.requested_at)),
          h("td", {}, e.site),
          h("td", {}, e.kind, " ", h("code", { title: "SHA-256 of site, kind and the normalised identifier" }, e.subject_hash.slice(0, 12) + "…")),
          h("td", {}, h("span", { class: "badge erasure " + e.status }, e.status), e.error ? [" ", e.error] : null, e.waiting ? [" ", e.waiting] : null),
          h("td", {}, removed(e)),
          h("td", {}, e.finished_at ? when(e.finished_at) : "—"),
          h("td", {}, h("code", {}, e.id)),
        ),
      ),
    ),
  );
}
