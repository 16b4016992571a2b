// Sites: the list, a new-site form, and edit in place (PATCH sends only the
// fields changed; the Popin API key is write-only and kept when left empty).
import { get, post, patch, List, enc } from "./api";
import { h, field, status, errorText } from "./dom";
import { Spec } from "./endpoint_fields";
import { fieldGroup } from "./form_widgets";

interface Site {
  id: string;
  write_key: string;
  origins: string[];
  pii: string;
  default_phone_region?: string;
  popin_api_key_set: boolean;
  consent_mode?: string;
  analytics_denied?: string;
  pixel_dedup?: boolean;
  origin?: string;
}

// SITE_FIELDS are the site's editable fields (names as in the API).
const SITE_FIELDS: Spec[] = [
  { name: "origins", label: "Allowed origins", kind: "list", placeholder: "https://www.acme.com, https://*.acme.com", hint: "Comma-separated." },
  { name: "pii", label: "PII policy", kind: "select", default: "hash", options: [["hash", "hash"], ["encrypt", "encrypt"], ["raw", "raw"], ["drop", "drop"]], hint: "How ClickHouse stores personal data." },
  { name: "default_phone_region", label: "Default phone region", kind: "text", placeholder: "IN" },
  { name: "popin_api_key", label: "Popin API key", kind: "secret", hint: "The X-API-KEY Popin's server webhooks carry." },
  { name: "consent_mode", label: "Consent mode", kind: "select", default: "opt_out", options: [["opt_out", "opt_out: forward unless denied"], ["opt_in", "opt_in: forward only when granted"]] },
  { name: "analytics_denied", label: "When analytics is denied", kind: "select", default: "anonymous", options: [["anonymous", "store anonymously"], ["drop", "do not store"]] },
  { name: "pixel_dedup", label: "Pixel deduplication", kind: "bool", hint: "The widget fires the Meta Pixel with the event id, so the Conversions API event is deduplicated." },
];

export async function sitesPage(el: HTMLElement, note = ""): Promise<void> {
  const sites = await get<List<Site>>("/sites?limit=500");
  const formBox = h("div");
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  if (note) status(msg, note, "ok");
  const reload = (n: string) => sitesPage(el, n);
  const showNew = () => formBox.replaceChildren(siteForm(null, reload));
  const edit = (s: Site) => {
    formBox.replaceChildren(siteForm(s, reload, showNew));
    (formBox.querySelector("input, select") as HTMLElement).focus();
  };
  const table = h(
    "table",
    {},
    h("caption", {}, `${sites.data.length} site${sites.data.length === 1 ? "" : "s"}`),
    h("thead", {}, h("tr", {}, ...["Site", "Write key", "Origins", "PII policy", "Phone region", "Consent", "Popin API key", "Defined in", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...sites.data.map((s) => {
        const btn = h("button", { type: "button", "aria-label": "Edit site " + s.id }, "Edit");
        btn.addEventListener("click", () => edit(s));
        return h(
          "tr",
          {},
          h("th", { scope: "row" }, s.id),
          h("td", {}, h("code", {}, s.write_key)),
          h("td", {}, s.origins.join(", ") || "none"),
          h("td", {}, s.pii),
          h("td", {}, s.default_phone_region || "—"),
          h("td", {}, s.consent_mode || "opt_out"),
          h("td", {}, s.popin_api_key_set ? "set" : "not set"),
          h("td", {}, s.origin || ""),
          h("td", {}, btn),
        );
      }),
    ),
  );
  showNew();
  el.replaceChildren(h("h1", {}, "Sites"), h("div", { class: "scroll" }, table), msg, formBox);
}

// siteForm creates a site (s null) or edits s.
function siteForm(s: Site | null, saved: (note: string) => void, cancelled?: () => void): HTMLElement {
  const id = h("input", { name: "id", required: true, autocomplete: "off" }) as HTMLInputElement;
  const g = fieldGroup(SITE_FIELDS, (s || {}) as Record<string, unknown>, !!s);
  const err = h("p", { role: "alert", class: "status" });
  const cancel = h("button", { type: "button" }, "Cancel");
  const hid = s ? "edit-site" : "new-site";
  const form = h(
    "form",
    { class: "card" + (s ? " edit" : ""), "aria-labelledby": hid },
    h("h2", { id: hid }, s ? "Edit site " + s.id : "New site"),
    s ? null : field("ID", id),
    ...g.widgets.map((w) => w.el),
    h("div", { class: "row" }, h("button", { type: "submit" }, s ? "Save changes" : "Create site"), s ? cancel : null),
    err,
  );
  cancel.addEventListener("click", () => cancelled?.());
  form.addEventListener("keydown", (e) => {
    if (s && (e as KeyboardEvent).key === "Escape") cancelled?.();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      if (s) {
        const body = g.changed();
        if (!body.popin_api_key) delete body.popin_api_key;
        if (!Object.keys(body).length) return cancelled?.();
        await patch("/sites/" + enc(s.id), body);
        saved(`Site ${s.id} saved.`);
      } else {
        const body: Record<string, unknown> = { id: id.value.trim(), ...g.changed() };
        const c = await post<Site>("/sites", body);
        saved(`Site ${c.id} created; its script tag uses data-key="${c.write_key}".`);
      }
    } catch (ex) {
      status(err, errorText(ex), "error");
      const bad = form.querySelector(`[name="${CSS.escape(((ex as { field?: string }).field || "").split(".")[0])}"]`) as HTMLElement | null;
      bad?.focus();
    }
  });
  return form;
}
