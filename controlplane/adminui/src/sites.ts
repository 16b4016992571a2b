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
  pii_names?: string;
  pixel_dedup?: boolean;
  retention?: Retention;
  limited_data_use?: { country: number; state: number } | null;
  origin?: string;
}

// Retention is days kept per data class; absent follows the global
// retention, 0 keeps forever.
interface Retention {
  events_days?: number;
  deliveries_days?: number;
  delivery_bodies_days?: number;
}

const RETENTION: [keyof Retention, string, string][] = [
  ["events_days", "Keep events (days)", "Analytics rows in ClickHouse."],
  ["deliveries_days", "Keep delivery attempts (days)", "The attempts log of every endpoint."],
  ["delivery_bodies_days", "Keep delivery bodies (days)", "Request and response bodies of attempts; the attempt rows stay."],
];

function retentionText(r: Retention | undefined): string {
  const d = (v: number | undefined) => (v === undefined ? "global" : v === 0 ? "forever" : v + " d");
  return `events ${d(r?.events_days)}, attempts ${d(r?.deliveries_days)}, bodies ${d(r?.delivery_bodies_days)}`;
}

// SITE_FIELDS are the site's editable fields (names as in the API).
const SITE_FIELDS: Spec[] = [
  { name: "origins", label: "Allowed origins", kind: "list", placeholder: "https://www.acme.com, https://*.acme.com", hint: "Comma-separated." },
  { name: "pii", label: "PII policy", kind: "select", default: "hash", options: [["hash", "hash"], ["encrypt", "encrypt"], ["raw", "raw"], ["drop", "drop"]], hint: "How ClickHouse stores personal data." },
  { name: "pii_names", label: "Names", kind: "select", default: "keep", options: [["keep", "as the PII policy"], ["hash", "hash"], ["drop", "drop"]], hint: "Whether visitors' names are stored under the PII policy, hashed or dropped (never less protected than the policy)." },
  { name: "default_phone_region", label: "Default phone region", kind: "text", placeholder: "IN" },
  { name: "popin_api_key", label: "Popin API key", kind: "secret", hint: "The X-API-KEY Popin's server webhooks carry." },
  { name: "consent_mode", label: "Consent mode", kind: "select", default: "opt_out", options: [["opt_out", "opt_out: forward unless denied"], ["opt_in", "opt_in: forward only when granted"]], hint: "Whether a destination needing a purpose (Conversions API: ads) gets events whose consent is unknown. An explicit denial is honoured in both modes." },
  { name: "analytics_denied", label: "When analytics is denied", kind: "select", default: "anonymous", options: [["anonymous", "store anonymously"], ["drop", "do not store"]], hint: "What ClickHouse keeps of an event whose visitor denies analytics: the event without personal data or visitor ids, or nothing." },
  { name: "limited_data_use", label: "Limited Data Use", kind: "ldu", hint: "Meta's Limited Data Use for every Conversions API endpoint of this site that sets none of its own." },
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
    h("thead", {}, h("tr", {}, ...["Site", "Write key", "Origins", "PII policy", "Phone region", "Consent", "Retention", "Popin API key", "Defined in", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
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
          h("td", {}, retentionText(s.retention)),
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
  const ret = retentionFields(s?.retention);
  const err = h("p", { role: "alert", class: "status" });
  const cancel = h("button", { type: "button" }, "Cancel");
  const hid = s ? "edit-site" : "new-site";
  const form = h(
    "form",
    { class: "card" + (s ? " edit" : ""), "aria-labelledby": hid },
    h("h2", { id: hid }, s ? "Edit site " + s.id : "New site"),
    s ? null : field("ID", id),
    ...g.widgets.map((w) => w.el),
    ret.el,
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
        const r = ret.changed();
        if (r) body.retention = r;
        if (!Object.keys(body).length) return cancelled?.();
        await patch("/sites/" + enc(s.id), body);
        saved(`Site ${s.id} saved.`);
      } else {
        const body: Record<string, unknown> = { id: id.value.trim(), ...g.changed() };
        const r = ret.changed();
        if (r) body.retention = r;
        const c = await post<Site>("/sites", body);
        saved(`Site ${c.id} created; its script tag uses data-key="${c.write_key}".`);
      }
    } catch (ex) {
      status(err, errorText(ex), "error");
      const f = (ex as { field?: string }).field || "";
      const bad = (form.querySelector(`[name="${CSS.escape(f)}"]`) || form.querySelector(`[name="${CSS.escape(f.split(".")[0])}"]`)) as HTMLElement | null;
      bad?.focus();
    }
  });
  return form;
}

// retentionFields edits a site's retention: an empty input follows the
// global retention. changed() is the classes that differ from start, null
// for "back to the global one" (the API reads null as unset), or undefined
// when nothing changed.
function retentionFields(start: Retention | undefined): { el: HTMLElement; changed(): Record<string, number | null> | undefined } {
  const inputs = RETENTION.map(([name, label, hint]) => {
    const i = h("input", { name: "retention." + name, type: "number", min: 0, max: 36500, step: 1, inputmode: "numeric", placeholder: "global" }) as HTMLInputElement;
    const v = start?.[name];
    if (v !== undefined) i.value = String(v);
    return { name, i, el: field(label, i, hint + " Empty: the global retention; 0: forever.") };
  });
  const el = h("fieldset", {}, h("legend", {}, "Retention"), ...inputs.map((x) => x.el));
  return {
    el,
    changed: () => {
      const out: Record<string, number | null> = {};
      for (const { name, i } of inputs) {
        const v = i.value.trim() === "" ? null : Number(i.value);
        if (v !== (start?.[name] ?? null)) out[name] = v;
      }
      return Object.keys(out).length ? out : undefined;
    },
  };
}
