// The new-endpoint form: id, site and type, the type's fields
// (endpoint_form.ts), and for webhooks the CRM presets (presets.ts).
import { post, Endpoint, enc } from "./api";
import { h, field, status, errorText } from "./dom";
import { TYPES } from "./endpoint_fields";
import { badField, endpointFields, FieldSet } from "./endpoint_form";
import { PRESETS } from "./presets";

export function createForm(sites: string[], created: (ep: Endpoint) => void): HTMLElement {
  const id = h("input", { name: "id", placeholder: "generated when empty", autocomplete: "off" }) as HTMLInputElement;
  const site = h("select", { name: "site", required: true }, ...sites.map((s) => h("option", { value: s }, s))) as HTMLSelectElement;
  const type = h("select", { name: "type" }, ...TYPES.map((t) => h("option", { value: t.type }, t.label))) as HTMLSelectElement;
  const preset = h("select", { name: "preset" }, h("option", { value: "" }, "Choose a preset…"), ...PRESETS.map((p) => h("option", { value: p.id }, p.name))) as HTMLSelectElement;
  const applyBtn = h("button", { type: "button" }, "Apply preset");
  const presetNote = h("p", { class: "note", "aria-live": "polite" });
  const presetRow = h("div", { class: "row presets" }, field("Preset", preset, "Fills the form for a common CRM or automation tool."), applyBtn);
  const msg = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const slot = h("div");
  let fs: FieldSet;

  const render = (keep: Record<string, unknown> = {}) => {
    fs = endpointFields(type.value, keep, false);
    slot.replaceChildren(fs.el);
    presetRow.hidden = type.value !== "webhook";
    presetNote.textContent = "";
  };
  type.addEventListener("change", () => {
    const v = fs.values();
    render({ description: v.description, events: v.events });
  });
  applyBtn.addEventListener("click", () => {
    const p = PRESETS.find((x) => x.id === preset.value);
    if (!p) return preset.focus();
    fs.set({ headers: {}, plain_headers: [], template: "", ...p.values });
    const url = slot.querySelector("input[name=url]") as HTMLInputElement;
    url.placeholder = p.url;
    presetNote.textContent = `${p.name}: ${p.note} URL pattern: ${p.url}`;
    url.focus();
  });

  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-ep" },
    h("h2", { id: "new-ep" }, "New endpoint"),
    field("ID", id),
    field("Site", site),
    field("Type", type),
    presetRow,
    presetNote,
    slot,
    h("button", { type: "submit" }, "Create endpoint"),
    msg,
  );
  render();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = { site: site.value, type: type.value, ...fs.changed() };
    if (id.value.trim()) body.id = id.value.trim();
    status(msg, "Creating…", "info");
    try {
      const ep = await post<Endpoint>("/endpoints", body);
      const cred = ep.secret || ep.token;
      msg.replaceChildren(
        h("p", {}, "Created ", h("a", { href: "#/endpoints/" + enc(ep.id) }, ep.id), "."),
        cred ? secretBox(ep.secret ? "Signing secret" : "Token", cred) : "",
      );
      msg.className = "status ok";
      created(ep);
    } catch (err) {
      status(msg, errorText(err), "error");
      const bad = badField(form, err);
      if (bad) {
        bad.closest("details")?.setAttribute("open", "");
        bad.focus();
      }
    }
  });
  return form;
}

// secretBox shows a credential once, with a copy button.
export function secretBox(label: string, value: string): HTMLElement {
  const out = h("output", { class: "secret", "aria-label": label }, value);
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", () => navigator.clipboard?.writeText(value));
  return h("div", { class: "secret-box" }, h("p", {}, h("strong", {}, label + ": "), "copy it now, it will not be shown again."), out, copy);
}
