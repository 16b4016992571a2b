import { get, List } from "./api";
import { h } from "./dom";

interface EventType {
  name: string;
  source: string;
  title?: string;
  description?: string;
  sample: unknown;
}

export async function catalogPage(el: HTMLElement): Promise<void> {
  const types = await get<List<EventType>>("/event-types");
  el.replaceChildren(
    h("h1", {}, "Event catalog"),
    h(
      "table",
      {},
      h("caption", {}, "Events the bridge knows, with a sample data payload each"),
      h("thead", {}, h("tr", {}, ...["Event", "Source", "Description", "Sample"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        ...types.data.map((t) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("code", {}, t.name)),
            h("td", {}, t.source),
            h("td", {}, t.description || t.title || ""),
            h("td", {}, h("details", {}, h("summary", {}, "Sample"), h("pre", {}, JSON.stringify(t.sample, null, 2)))),
          ),
        ),
      ),
    ),
  );
}
