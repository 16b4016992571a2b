// The body template field with a preview: POST /templates/preview renders
// it against the event catalog's sample of the chosen type, sending nothing.
import { get, post, List } from "./api";
import { h, field, status, errorText } from "./dom";
import { Spec } from "./endpoint_fields";
import type { Widget } from "./form_widgets";

let catalog: Promise<string[]> | null = null;
function eventNames(): Promise<string[]> {
  catalog ||= get<List<{ name: string }>>("/event-types")
    .then((l) => l.data.map((t) => t.name))
    .catch(() => ["popin_captured"]);
  return catalog;
}

export function templateEditor(spec: Spec): Widget {
  const text = h("textarea", { name: spec.name, rows: 6, spellcheck: "false", class: "code", placeholder: '{"email": "{{.data.email}}", "page": "{{.context.url}}"}' }) as HTMLTextAreaElement;
  const ev = h("select", { name: "preview_event" }, h("option", { value: "popin_captured" }, "popin_captured")) as HTMLSelectElement;
  eventNames().then((names) => {
    const cur = ev.value;
    ev.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    ev.value = names.includes(cur) ? cur : names[0];
  });
  const out = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const run = h("button", { type: "button" }, "Preview body");
  run.addEventListener("click", async () => {
    status(out, "Rendering…", "info");
    try {
      const r = await post<{ event: string; body: unknown }>("/templates/preview", { template: text.value, event: ev.value });
      out.replaceChildren(h("p", {}, `The receiver gets, for the catalog's sample ${r.event}:`), h("pre", { "aria-label": "Rendered body" }, JSON.stringify(r.body, null, 2)));
      out.className = "status ok";
    } catch (err) {
      status(out, errorText(err), "error");
    }
  });
  const el = h("div", { class: "template-editor" }, field(spec.label, text, spec.hint), h("div", { class: "row" }, field("Sample event", ev), run), out);
  return {
    spec,
    el,
    get: () => ({ [spec.name]: text.value.trim() }),
    set: (v) => {
      if (!(spec.name in v)) return;
      text.value = String(v[spec.name] || "");
      status(out, "", "info"); // a preview of the old text no longer holds
    },
  };
}
