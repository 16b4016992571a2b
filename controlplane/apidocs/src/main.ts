// The API reference: renders openapi.json (served beside this page) as a
// table of contents by tag, one section per operation, and the schemas.
import { h } from "./dom";
import { Schema, schemaView, typeOf } from "./schema";

type Param = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Body = { content?: Record<string, { schema?: Schema }>; description?: string };
type Op = { summary?: string; description?: string; operationId?: string; tags?: string[]; parameters?: Param[]; requestBody?: Body; responses?: Record<string, Body> };
type Doc = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, Op>>; components?: { schemas?: Record<string, Schema> } };

const METHODS = ["get", "post", "patch", "put", "delete"];
const json = (b?: Body) => b?.content?.["application/json"]?.schema;

function operation(path: string, method: string, op: Op, id: string): HTMLElement {
  const params = op.parameters || [];
  return h(
    "section",
    { class: "op", id, "aria-labelledby": id + "-h" },
    h("h3", { id: id + "-h" }, h("span", { class: "method " + method }, method.toUpperCase()), " ", h("span", { class: "path" }, path)),
    op.summary ? h("p", {}, h("strong", {}, op.summary)) : null,
    op.description ? h("p", {}, op.description) : null,
    params.length
      ? h(
          "table",
          {},
          h("caption", {}, "Parameters"),
          h("thead", {}, h("tr", {}, ...["Name", "In", "Type", "Description"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, ...params.map((p) => h("tr", {}, h("th", { scope: "row" }, h("code", {}, p.name), p.required ? h("span", { class: "req" }, " required") : null), h("td", {}, p.in), h("td", {}, typeOf(p.schema)), h("td", {}, p.description || "")))),
        )
      : null,
    op.requestBody ? [h("h4", {}, "Request body"), schemaView(json(op.requestBody))] : null,
    h("h4", {}, "Responses"),
    h(
      "dl",
      {},
      ...Object.entries(op.responses || {}).flatMap(([code, r]) => [
        h("dt", {}, h("code", {}, code), " ", r.description || ""),
        h("dd", {}, json(r) ? (code.startsWith("2") ? schemaView(json(r)) : typeOf(json(r))) : "No body."),
      ]),
    ),
  );
}

async function render(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  const toc = document.getElementById("toc") as HTMLElement;
  let doc: Doc;
  try {
    doc = (await (await fetch("openapi.json", { cache: "no-store" })).json()) as Doc;
  } catch (e) {
    main.replaceChildren(h("p", { role: "alert" }, "The OpenAPI document could not be loaded: " + String(e)));
    return;
  }
  const byTag = new Map<string, HTMLElement[]>();
  const links = new Map<string, HTMLElement[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      const id = "op-" + (op.operationId || method + path.replace(/[^a-z0-9]+/gi, "-"));
      if (!byTag.has(tag)) byTag.set(tag, []), links.set(tag, []);
      byTag.get(tag)!.push(operation(path, method, op, id));
      links.get(tag)!.push(h("li", {}, h("a", { href: "#" + id }, method.toUpperCase() + " " + path.replace("/api/v1", ""))));
    }
  }
  const schemas = Object.entries(doc.components?.schemas || {});
  toc.replaceChildren(
    ...[...links].flatMap(([tag, ls]) => [h("h2", {}, tag), h("ul", {}, ...ls)]),
    h("h2", {}, "Schemas"),
    h("ul", {}, ...schemas.map(([n]) => h("li", {}, h("a", { href: "#schema-" + n }, n)))),
  );
  main.replaceChildren(
    h("h1", {}, `${doc.info.title} ${doc.info.version}`),
    doc.info.description ? h("p", {}, doc.info.description) : "",
    h("p", {}, "The document itself: ", h("a", { href: "openapi.json" }, "openapi.json"), ". Every call needs Authorization: Bearer <admin token> (or a site's read token for that site's reads)."),
    ...[...byTag].flatMap(([tag, secs]) => [h("h2", { id: "tag-" + tag }, tag), ...secs]),
    h("h2", { id: "schemas" }, "Schemas"),
    ...schemas.map(([n, s]) => h("section", { class: "op", id: "schema-" + n }, h("h3", {}, n), s.description ? h("p", {}, s.description) : null, schemaView(s))),
  );
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

render();
