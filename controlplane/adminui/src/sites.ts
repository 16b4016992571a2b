import { get, post, List } from "./api";
import { h, field, status, errorText } from "./dom";

interface Site {
  id: string;
  write_key: string;
  origins: string[];
  pii: string;
  default_phone_region?: string;
  popin_api_key_set: boolean;
  origin?: string;
}

export async function sitesPage(el: HTMLElement): Promise<void> {
  const sites = await get<List<Site>>("/sites?limit=500");
  const table = h(
    "table",
    {},
    h("caption", {}, `${sites.data.length} site${sites.data.length === 1 ? "" : "s"}`),
    h("thead", {}, h("tr", {}, ...["Site", "Write key", "Origins", "PII policy", "Phone region", "Popin API key", "Defined in"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...sites.data.map((s) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, s.id),
          h("td", {}, h("code", {}, s.write_key)),
          h("td", {}, s.origins.join(", ") || "none"),
          h("td", {}, s.pii),
          h("td", {}, s.default_phone_region || "—"),
          h("td", {}, s.popin_api_key_set ? "set" : "not set"),
          h("td", {}, s.origin || ""),
        ),
      ),
    ),
  );
  const id = h("input", { name: "id", required: true }) as HTMLInputElement;
  const origins = h("input", { name: "origins", placeholder: "https://www.acme.com, https://*.acme.com" }) as HTMLInputElement;
  const pii = h("select", { name: "pii" }, ...["hash", "encrypt", "raw", "drop"].map((v) => h("option", { value: v }, v))) as HTMLSelectElement;
  const region = h("input", { name: "default_phone_region", size: 3, placeholder: "IN" }) as HTMLInputElement;
  const popin = h("input", { name: "popin_api_key", type: "password", autocomplete: "off" }) as HTMLInputElement;
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-site" },
    h("h2", { id: "new-site" }, "New site"),
    field("ID", id),
    field("Allowed origins", origins, "Comma-separated."),
    field("PII policy", pii, "How ClickHouse stores personal data."),
    field("Default phone region", region),
    field("Popin API key", popin, "The X-API-KEY Popin's server webhooks carry."),
    h("button", { type: "submit" }, "Create site"),
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = { id: id.value.trim(), pii: pii.value, origins: origins.value.split(",").map((x) => x.trim()).filter(Boolean) };
      if (region.value.trim()) body.default_phone_region = region.value.trim();
      if (popin.value) body.popin_api_key = popin.value;
      const s = await post<Site>("/sites", body);
      status(msg, `Site ${s.id} created; its script tag uses data-key="${s.write_key}".`, "ok");
      setTimeout(() => sitesPage(el), 1200);
    } catch (err) {
      status(msg, errorText(err), "error");
    }
  });
  el.replaceChildren(h("h1", {}, "Sites"), table, form);
}
