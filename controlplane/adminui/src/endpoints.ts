import { get, List, Endpoint, Stats, Delivery, enc } from "./api";
import { h, pct, when } from "./dom";
import { typeSpec } from "./endpoint_fields";
import { createForm } from "./endpoint_create";

export async function endpointsPage(el: HTMLElement): Promise<void> {
  const [eps, sites] = await Promise.all([get<List<Endpoint>>("/endpoints?limit=500"), get<List<{ id: string }>>("/sites?limit=500")]);
  const box = h("div", { class: "scroll" }, endpointTable(eps.data));
  // A created endpoint shows in the list at once.
  const reload = async () => box.replaceChildren(endpointTable((await get<List<Endpoint>>("/endpoints?limit=500")).data));
  el.replaceChildren(h("h1", {}, "Endpoints"), box, createForm(sites.data.map((s) => s.id), () => void reload()));
}

function endpointTable(eps: Endpoint[]): HTMLElement {
  const tbody = h("tbody");
  const table = h(
    "table",
    {},
    h("caption", {}, `${eps.length} endpoint${eps.length === 1 ? "" : "s"}`),
    h(
      "thead",
      {},
      h("tr", {}, ...["Endpoint", "Site", "Destination", "Status", "Events", "Last delivery", "Success (24h)"].map((t) => h("th", { scope: "col" }, t))),
    ),
    tbody,
  );
  for (const ep of eps) {
    const last = h("td", {}, "…");
    const rate = h("td", {}, "…");
    tbody.append(
      h(
        "tr",
        {},
        h("th", { scope: "row" }, h("a", { href: "#/endpoints/" + enc(ep.id) }, ep.id), ep.description ? h("small", { class: "desc" }, ep.description) : null),
        h("td", {}, ep.site),
        h("td", { class: "url" }, typeSpec(ep.type).destination(ep as unknown as Record<string, unknown>)),
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
  return table;
}
