// One input per field kind of endpoint_fields.ts. A widget reads and
// writes the API fields it owns as plain values, so the form can compare
// them with where it started and send only what changed.
import { h, field } from "./dom";
import { Spec } from "./endpoint_fields";
import { templateEditor } from "./template_editor";
import { oauth2, tls } from "./form_egress";

export type Values = Record<string, unknown>;

export interface Widget {
  spec: Spec;
  el: HTMLElement;
  get(): Values; // the API fields it owns
  set(v: Values): void; // takes the fields it owns that v has
}

const REDACTED = "REDACTED"; // how reads show a secret header's value

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

// fieldGroup builds widgets for specs started from start; changed() gives
// the fields that differ from it.
export function fieldGroup(specs: Spec[], start: Values, editing: boolean): { widgets: Widget[]; values(): Values; changed(): Values } {
  const widgets = specs.map((s) => widget(s, editing));
  const s0: Values = {};
  for (const s of specs) if (s.default !== undefined) s0[s.name] = s.default;
  for (const [k, x] of Object.entries(start)) if (x !== undefined && x !== null) s0[k] = x;
  for (const w of widgets) w.set(s0);
  const values = () => Object.assign({}, ...widgets.filter((w) => !w.el.hidden).map((w) => w.get())) as Values;
  const initial = values();
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return {
    widgets,
    values,
    changed: () => Object.fromEntries(Object.entries(values()).filter(([k, v]) => !same(v, initial[k]))),
  };
}

export function widget(spec: Spec, editing: boolean): Widget {
  const n = spec.name;
  const attrs = { name: n, placeholder: spec.placeholder, required: spec.required && !editing && spec.kind !== "secret" ? true : undefined };
  const simple = (input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, read: () => unknown, write: (v: unknown) => void, hint = spec.hint): Widget => ({
    spec,
    el: field(spec.label, input, hint),
    get: () => ({ [n]: read() }),
    set: (v) => {
      if (n in v) write(v[n]);
    },
  });
  switch (spec.kind) {
    case "text":
    case "url": {
      const i = h("input", { ...attrs, type: spec.kind === "url" ? "url" : "text" }) as HTMLInputElement;
      return simple(i, () => i.value.trim(), (v) => (i.value = str(v)));
    }
    case "secret": {
      const i = h("input", { name: n, type: "password", autocomplete: "off", placeholder: editing ? "unchanged" : spec.placeholder }) as HTMLInputElement;
      const hint = editing ? "Leave empty to keep the stored one; it is never shown again." : spec.hint;
      return simple(i, () => i.value.trim(), () => {}, hint);
    }
    case "textarea": {
      const i = h("textarea", { ...attrs, rows: 2 }) as HTMLTextAreaElement;
      return simple(i, () => i.value.trim(), (v) => (i.value = str(v)));
    }
    case "select": {
      const i = h("select", { name: n }, ...(spec.options || []).map(([v, t]) => h("option", { value: v }, t))) as HTMLSelectElement;
      return simple(i, () => i.value, (v) => (i.value = str(v) || str(spec.default)));
    }
    case "list": {
      const i = h("input", { ...attrs, type: "text" }) as HTMLInputElement;
      return simple(i, () => list(i.value), (v) => (i.value = Array.isArray(v) ? v.join(", ") : ""));
    }
    case "number": {
      const i = h("input", { ...attrs, type: "number", min: 0, step: "any", inputmode: "decimal" }) as HTMLInputElement;
      return simple(i, () => Number(i.value || 0), (v) => (i.value = v ? str(v) : ""));
    }
    case "map": {
      const i = h("textarea", { ...attrs, rows: 3 }) as HTMLTextAreaElement;
      const read = () => {
        const m: Record<string, string> = {};
        for (const line of i.value.split("\n")) {
          const at = line.indexOf("=");
          if (at > 0) m[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
        return m;
      };
      const write = (v: unknown) => (i.value = Object.entries((v as Record<string, string>) || {}).map(([k, x]) => `${k} = ${x}`).join("\n"));
      return simple(i, read, write);
    }
    case "bool": {
      const b = h("input", { type: "checkbox", name: n }) as HTMLInputElement;
      const hintId = "hint-" + n;
      const el = h("div", { class: "field" }, h("label", { class: "check" }, b, " " + spec.label), spec.hint ? h("small", { id: hintId }, spec.hint) : null);
      if (spec.hint) b.setAttribute("aria-describedby", hintId);
      return { spec, el, get: () => ({ [n]: b.checked }), set: (v) => void (n in v && (b.checked = !!v[n])) };
    }
    case "checks":
      return checks(spec);
    case "headers":
      return headers(spec);
    case "ldu":
      return ldu(spec);
    case "oauth2":
      return oauth2(spec);
    case "tls":
      return tls(spec);
    case "template":
      return templateEditor(spec);
  }
}

function checks(spec: Spec): Widget {
  const boxes = (spec.options || []).map(([v, t]) => {
    const b = h("input", { type: "checkbox", name: spec.name, value: v }) as HTMLInputElement;
    return [b, h("label", { class: "check" }, b, " " + t)] as const;
  });
  const hintId = "hint-" + spec.name;
  const el = h("fieldset", { class: "field checks", "aria-describedby": hintId }, h("legend", {}, spec.label), ...boxes.map(([, l]) => l), h("small", { id: hintId }, spec.hint || ""));
  return {
    spec,
    el,
    get: () => ({ [spec.name]: boxes.filter(([b]) => b.checked).map(([b]) => b.value) }),
    set: (v) => {
      if (!(spec.name in v)) return;
      const on = (v[spec.name] as string[] | null) || [];
      for (const [b] of boxes) b.checked = on.includes(b.value);
    },
  };
}

// headers edits name/value rows; a value is a credential unless "plain".
// A stored secret value is never shown: its row keeps it while left empty.
function headers(spec: Spec): Widget {
  const rows = h("div", { class: "header-rows" });
  const add = (name = "", value = "", plain = false) => {
    const kept = value === REDACTED;
    const nameIn = h("input", { name: "header_name", "aria-label": "Header name", placeholder: "X-Tenant", value: name, autocomplete: "off" }) as HTMLInputElement;
    const valueIn = h("input", {
      name: "header_value",
      "aria-label": "Header value",
      type: plain ? "text" : "password",
      autocomplete: "off",
      placeholder: kept ? "unchanged (secret)" : "value",
      value: kept ? "" : value,
    }) as HTMLInputElement;
    const plainIn = h("input", { type: "checkbox", name: "header_plain", checked: plain }) as HTMLInputElement;
    plainIn.addEventListener("change", () => (valueIn.type = plainIn.checked ? "text" : "password"));
    const remove = h("button", { type: "button", class: "link", "aria-label": "Remove header " + (name || "row") }, "Remove");
    const row = h("div", { class: "header-row" }, nameIn, valueIn, h("label", { class: "check" }, plainIn, " plain"), remove);
    (row as HTMLElement & { kept?: boolean }).kept = kept;
    remove.addEventListener("click", () => {
      row.remove();
      addBtn.focus();
    });
    rows.append(row);
    return nameIn;
  };
  const addBtn = h("button", { type: "button" }, "Add header");
  addBtn.addEventListener("click", () => add().focus());
  const hintId = "hint-" + spec.name;
  const el = h("fieldset", { class: "field headers", "aria-describedby": hintId }, h("legend", {}, spec.label), rows, addBtn, h("small", { id: hintId }, spec.hint || ""));
  return {
    spec,
    el,
    get: () => {
      const hs: Record<string, string> = {};
      const plain: string[] = [];
      for (const row of rows.children) {
        const [n, v, p] = [...row.querySelectorAll("input")] as HTMLInputElement[];
        const name = n.value.trim();
        if (!name) continue;
        hs[name] = v.value === "" && (row as HTMLElement & { kept?: boolean }).kept ? REDACTED : v.value;
        if (p.checked) plain.push(name);
      }
      return { headers: hs, plain_headers: plain };
    },
    set: (v) => {
      if (!("headers" in v)) return;
      rows.replaceChildren();
      const plain = ((v.plain_headers as string[]) || []).map((x) => x.toLowerCase());
      for (const [k, x] of Object.entries((v.headers as Record<string, string>) || {})) add(k, x, plain.includes(k.toLowerCase()));
    },
  };
}

// ldu is Meta's Limited Data Use: off, or on with a country and state
// (0 lets Meta geolocate; country 1 is the USA, state 1000–1013).
function ldu(spec: Spec): Widget {
  const on = h("input", { type: "checkbox", name: "ldu" }) as HTMLInputElement;
  const country = h("select", { name: "ldu_country" }, h("option", { value: "0" }, "Geolocate (0)"), h("option", { value: "1" }, "USA (1)")) as HTMLSelectElement;
  const state = h("input", { name: "ldu_state", type: "number", min: 0, max: 1013, value: "0" }) as HTMLInputElement;
  const more = h("div", { class: "row" }, field("Country", country), field("State", state, "0 geolocates; 1000 California … 1013."));
  const sync = () => (more.hidden = !on.checked);
  on.addEventListener("change", sync);
  sync();
  const el = h("fieldset", { class: "field" }, h("legend", {}, spec.label), h("label", { class: "check" }, on, " Flag every event for Limited Data Use"), more);
  return {
    spec,
    el,
    get: () => ({ [spec.name]: on.checked ? { country: Number(country.value), state: Number(state.value || 0) } : null }),
    set: (v) => {
      if (!(spec.name in v)) return;
      const l = v[spec.name] as { country: number; state: number } | null | undefined;
      on.checked = !!l;
      country.value = String(l?.country || 0);
      state.value = String(l?.state || 0);
      sync();
    },
  };
}
