// Tiny DOM helpers: elements are built with textContent, never innerHTML,
// so nothing the API returns is ever parsed as markup.

type Attrs = Record<string, string | boolean | number | ((e: Event) => void) | undefined>;
type Child = Node | string | null | undefined | false;

export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v as (e: Event) => void);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
export function s(tag: string, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || "f-" + Math.random().toString(36).slice(2, 9);
  input.id = id;
  const hintEl = hint ? h("small", { id: id + "-hint" }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  return isNaN(d.getTime()) || d.getTime() <= 0 ? "never" : d.toLocaleString();
}

export function pct(x: number): string {
  return (Math.round(x * 1000) / 10).toString() + "%";
}

// status announces a result to everyone, screen readers included.
export function status(el: HTMLElement, msg: string, kind: "ok" | "error" | "info" = "info"): void {
  el.textContent = msg;
  el.className = "status " + kind;
}

export function errorText(e: unknown): string {
  const err = e as { message?: string; field?: string };
  return (err.field ? err.field + ": " : "") + (err.message || String(e));
}
