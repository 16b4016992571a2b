// A JSON schema as nested lists: each property with its type, whether it is
// required, its enum and description; $refs link to the component.
import { h } from "./dom";

export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
  description?: string;
  format?: string;
  default?: unknown;
};

export const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);

// typeOf is a short type label: "string (date-time)", "Endpoint[]", "map of string".
export function typeOf(s: Schema | undefined): Node {
  if (!s) return document.createTextNode("any");
  if (s.$ref) return h("a", { href: "#schema-" + refName(s.$ref) }, refName(s.$ref));
  const parts = s.allOf || s.oneOf || s.anyOf;
  if (parts) {
    const out = h("span", { class: "type" });
    parts.forEach((p, i) => out.append(i ? (s.allOf ? " and " : " or ") : "", typeOf(p)));
    return out;
  }
  if (s.type === "array") return h("span", { class: "type" }, typeOf(s.items), "[]");
  let t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || (s.properties ? "object" : "any");
  if (t === "object" && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object") {
    return h("span", { class: "type" }, "map of ", typeOf(s.additionalProperties));
  }
  if (s.format) t += ` (${s.format})`;
  if (s.nullable) t += " | null";
  return h("span", { class: "type" }, t);
}

function details(s: Schema): (Node | string)[] {
  const out: (Node | string)[] = [];
  if (s.enum) out.push(" ", h("span", { class: "enum" }, "one of ", ...s.enum.map((v) => h("code", {}, JSON.stringify(v)))));
  if (s.default !== undefined) out.push(" default ", h("code", {}, JSON.stringify(s.default)));
  if (s.description) out.push(" — " + s.description);
  return out;
}

// schemaView lists an object's properties (nested objects inline).
export function schemaView(s: Schema | undefined): HTMLElement {
  if (!s) return h("p", {}, "No body.");
  if (!s.properties) {
    const parts = s.allOf || [];
    if (parts.length) return h("div", {}, ...parts.map((p) => (p.$ref ? h("p", {}, "All of ", typeOf(p), ":") : schemaView(p))));
    return h("p", {}, typeOf(s), ...details(s));
  }
  const req = new Set(s.required || []);
  return h(
    "ul",
    { class: "schema" },
    ...Object.entries(s.properties).map(([name, p]) => {
      const inner = p.properties ? p : p.items && p.items.properties ? p.items : null;
      return h("li", {}, h("code", {}, name), " ", typeOf(p), req.has(name) ? h("span", { class: "req" }, " required") : null, ...details(p), inner ? schemaView(inner) : null);
    }),
    ...(s.required || []).filter((r) => !s.properties![r]).map((r) => h("li", {}, h("code", {}, r), h("span", { class: "req" }, " required"))),
  );
}
