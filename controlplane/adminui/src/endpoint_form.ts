// The fields of an endpoint of one type, laid out from endpoint_fields.ts:
// common fields, the type's fields, then a collapsed "Advanced" section.
// Create and edit share it: both send only what differs from where the
// form started (the API's defaults at creation, the stored values in edit).
import { post } from "./api";
import { h, status, errorText } from "./dom";
import { ADVANCED, COMMON, Spec, consentDefault, typeSpec } from "./endpoint_fields";
import { Values, Widget, widget } from "./form_widgets";

export interface FieldSet {
  el: HTMLElement;
  values(): Values; // every shown field
  changed(): Values; // shown fields that differ from the start
  set(v: Values): void;
}

const json = (v: unknown) => JSON.stringify(v === undefined ? null : v);

// startValues are the API's defaults for a type, overlaid with v's set fields.
function startValues(type: string, specs: Spec[], v: Values): Values {
  const out: Values = { consent: consentDefault(type) };
  for (const s of specs) if (s.default !== undefined) out[s.name] = s.default;
  for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = x;
  if (!("headers" in out)) out.headers = {};
  return out;
}

export function endpointFields(type: string, start: Values, editing: boolean): FieldSet {
  const t = typeSpec(type);
  const advanced = ADVANCED.filter((s) => !s.typesOnly || s.typesOnly.includes(type));
  const specs = [...COMMON, ...t.fields, ...advanced];
  const ws: Widget[] = specs.map((s) => widget(s, editing));
  const byField = new Map<string, Widget>();
  for (const w of ws) byField.set(w.spec.name, w);
  const s0 = startValues(type, specs, start);
  for (const w of ws) w.set(s0);

  const shown = () => ws.filter((w) => !w.el.hidden);
  const sync = () => {
    for (const w of ws) {
      const c = w.spec.when;
      if (!c) continue;
      const owner = byField.get(c.field);
      w.el.hidden = !owner || !c.values.includes(String(owner.get()[c.field]));
    }
  };
  const values = () => Object.assign({}, ...shown().map((w) => w.get())) as Values;
  const initial = Object.assign({}, ...ws.map((w) => w.get())) as Values;

  const adv = new Set(advanced.map((s) => s.name));
  const box = h(
    "div",
    { class: "ep-fields" },
    ...ws.filter((w) => !adv.has(w.spec.name)).map((w) => w.el),
    h(
      "details",
      { class: "advanced" },
      h("summary", {}, "Advanced: consent, rules, retries, flow control, TLS, proxy"),
      ...ws.filter((w) => adv.has(w.spec.name)).map((w) => w.el),
      rulesTester(),
    ),
  );
  box.addEventListener("change", sync);
  sync();

  function rulesTester(): HTMLElement {
    const out = h("div", { role: "status", "aria-live": "polite", class: "status" });
    const run = h("button", { type: "button" }, "Test rules on a sample lead");
    run.addEventListener("click", async () => {
      const v = values();
      try {
        const r = await post<{ matched: boolean; body: unknown }>("/endpoints/test-rules", { filter: v.filter || "", transform: v.transform || "" });
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

  return {
    el: box,
    values,
    changed: () => {
      const out: Values = {};
      for (const [k, v] of Object.entries(values())) if (json(v) !== json(initial[k])) out[k] = v;
      return out;
    },
    set: (v) => {
      for (const w of ws) w.set(v);
      sync();
    },
  };
}

// badField is the input an API error names ("oauth2.token_url", else its
// first part "headers"), or null.
export function badField(form: HTMLElement, err: unknown): HTMLElement | null {
  const name = (err as { field?: string }).field || "";
  if (!name) return null;
  const q = (n: string) => form.querySelector(`[name="${CSS.escape(n)}"]`) as HTMLElement | null;
  return q(name) || q(name.split(".")[0]);
}
