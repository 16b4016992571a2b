import { get, post, List, Endpoint, Stats, Delivery, enc } from "./api";
import { h, field, pct, when, status, errorText } from "./dom";

export async function endpointsPage(el: HTMLElement): Promise<void> {
  const [eps, sites] = await Promise.all([get<List<Endpoint>>("/endpoints?limit=500"), get<List<{ id: string }>>("/sites?limit=500")]);
  const tbody = h("tbody");
  const table = h(
    "table",
    {},
    h("caption", {}, `${eps.data.length} endpoint${eps.data.length === 1 ? "" : "s"}`),
    h(
      "thead",
      {},
      h("tr", {}, ...["Endpoint", "Site", "Destination", "Status", "Events", "Last delivery", "Success (24h)"].map((t) => h("th", { scope: "col" }, t))),
    ),
    tbody,
  );
  for (const ep of eps.data) {
    const last = h("td", {}, "…");
    const rate = h("td", {}, "…");
    tbody.append(
      h(
        "tr",
        {},
        h("th", { scope: "row" }, h("a", { href: "#/endpoints/" + enc(ep.id) }, ep.id)),
        h("td", {}, ep.site),
        h("td", { class: "url" }, ep.type === "webhook" ? ep.url || "" : typeLabels[ep.type] || ep.type),
        h("td", {}, ep.delivery_error
          ? h("span", { class: "badge disabled", title: ep.delivery_error }, "error")
          : h("span", { class: "badge " + ep.status }, ep.status)),
        h("td", {}, ep.events.join(", ")),
        last,
        rate,
      ),
    );
    get<Stats>(`/endpoints/${enc(ep.id)}/stats?window=24h`)
      .then((s) => {
        rate.textContent = s.attempts ? `${pct(s.success_rate)} of ${s.attempts}` : "no attempts";
      })
      .catch(() => (rate.textContent = "n/a"));
    get<List<Delivery>>(`/endpoints/${enc(ep.id)}/deliveries?limit=1`)
      .then((l) => {
        const d = l.data[0];
        last.textContent = d ? `${d.ok ? "OK" : "Failed"} ${d.status_code || ""} · ${when(d.attempted_at)}` : "none";
      })
      .catch(() => (last.textContent = "n/a"));
  }
  el.replaceChildren(h("h1", {}, "Endpoints"), table, createForm(sites.data.map((s) => s.id)));
}

// typeLabels name the destinations whose URL is not shown in the list
// (an API, or a Slack webhook URL, which is a credential).
const typeLabels: Record<string, string> = { facebook_capi: "Conversions API", slack: "Slack", hubspot: "HubSpot" };

function createForm(sites: string[]): HTMLElement {
  const id = h("input", { name: "id", placeholder: "generated when empty" }) as HTMLInputElement;
  const site = h("select", { name: "site", required: true }, ...sites.map((s) => h("option", { value: s }, s))) as HTMLSelectElement;
  const url = h("input", { name: "url", type: "url", required: true, placeholder: "https://crm.example.com/hooks/popin" }) as HTMLInputElement;
  const events = h("input", { name: "events", value: "*" }) as HTMLInputElement;
  const auth = h(
    "select",
    { name: "auth" },
    ...[
      ["signature", "Signed (Standard Webhooks secret)"],
      ["bearer", "Bearer token"],
      ["api_key", "API key header"],
      ["none", "None"],
    ].map(([v, t]) => h("option", { value: v }, t)),
  ) as HTMLSelectElement;
  const filter = h("textarea", { name: "filter", rows: 2, placeholder: 'name == "popin_captured" && data.country == "IN"' }) as HTMLTextAreaElement;
  const transform = h("textarea", { name: "transform", rows: 3, placeholder: '{"email": data.email, "page": ctx.url}' }) as HTMLTextAreaElement;
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-ep" },
    h("h2", { id: "new-ep" }, "New endpoint"),
    field("ID", id),
    field("Site", site),
    field("URL", url),
    field("Events", events, 'Names or globs, comma-separated; "*" is every event.'),
    field("Authentication", auth),
    field("Filter", filter, "Optional expression: only events for which it is true are delivered."),
    field("Transform", transform, "Optional expression giving the JSON body instead of the default one."),
    rulesTester(filter, transform),
    h("button", { type: "submit" }, "Create endpoint"),
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = {
        site: site.value,
        url: url.value.trim(),
        auth: auth.value,
        events: events.value.split(",").map((x) => x.trim()).filter(Boolean),
      };
      if (id.value.trim()) body.id = id.value.trim();
      if (filter.value.trim()) body.filter = filter.value;
      if (transform.value.trim()) body.transform = transform.value;
      const ep = await post<Endpoint>("/endpoints", body);
      const cred = ep.secret || ep.token;
      msg.replaceChildren(
        h("p", {}, "Created ", h("a", { href: "#/endpoints/" + enc(ep.id) }, ep.id), "."),
        cred ? secretBox(ep.secret ? "Signing secret" : "Token", cred) : "",
      );
      msg.className = "status ok";
    } catch (err) {
      status(msg, errorText(err), "error");
    }
  });
  return form;
}

// rulesTester evaluates the form's filter and transform on a sample lead
// (POST /endpoints/test-rules) and shows the outcome and the body.
function rulesTester(filter: HTMLTextAreaElement, transform: HTMLTextAreaElement): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const run = h("button", { type: "button" }, "Test rules on a sample lead");
  run.addEventListener("click", async () => {
    try {
      const r = await post<{ matched: boolean; body: unknown }>("/endpoints/test-rules", { filter: filter.value, transform: transform.value });
      out.replaceChildren(
        h("p", {}, r.matched ? "The filter lets the sample through; the receiver gets:" : "The filter keeps the sample out; its body would be:"),
        h("pre", {}, JSON.stringify(r.body, null, 2)),
      );
      out.className = "status ok";
    } catch (err) {
      status(out, errorText(err), "error");
    }
  });
  return h("div", { class: "field" }, run, out);
}

// secretBox shows a credential once, with a copy button.
export function secretBox(label: string, value: string): HTMLElement {
  const out = h("output", { class: "secret", "aria-label": label }, value);
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", () => navigator.clipboard?.writeText(value));
  return h("div", { class: "secret-box" }, h("p", {}, h("strong", {}, label + ": "), "copy it now, it will not be shown again."), out, copy);
}
