// Edit an endpoint in place: a form over the endpoint page's facts that
// PATCHes only the fields changed (PATCH replaces the fields it names).
import { patch, Endpoint, enc } from "./api";
import { h, field, status, errorText } from "./dom";

const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

export function editForm(ep: Endpoint, done: (saved: Endpoint | null) => void): HTMLElement {
  const e = ep as Endpoint & { pixel_id?: string; test_event_code?: string; measurement_id?: string; pixel_code?: string };
  const inputs: [string, HTMLInputElement, string, (v: string) => unknown][] = [];
  const add = (name: string, label: string, value: string, hint: string, parse: (v: string) => unknown = (v) => v.trim()) => {
    const input = h("input", { name, value }) as HTMLInputElement;
    inputs.push([name, input, value, parse]);
    return field(label, input, hint);
  };
  const msg = h("p", { role: "status", "aria-live": "polite", class: "status" });
  const save = h("button", { type: "submit" }, "Save changes");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    { class: "card edit", "aria-labelledby": "edit-h" },
    h("h2", { id: "edit-h" }, "Edit endpoint " + ep.id),
    add("description", "Description", ep.description || "", "Shown in lists; optional."),
    ep.type === "webhook" ? add("url", "URL", ep.url || "", "https:// address that receives the webhooks.") : null,
    ep.type === "slack" ? add("url", "Slack webhook URL", ep.url || "", "Shown as REDACTED; paste a new incoming webhook URL to replace it.") : null,
    add("events", "Events", ep.events.join(", "), "Comma-separated event names, or * for every event.", list),
    ep.type === "facebook_capi" ? add("pixel_id", "Pixel id", e.pixel_id || "", "The Meta pixel (dataset) id.") : null,
    ep.type === "ga4" ? add("measurement_id", "Measurement id", e.measurement_id || "", "The GA4 web stream's measurement id (G-…).") : null,
    ep.type === "tiktok" ? add("pixel_code", "Pixel code", e.pixel_code || "", "The TikTok pixel code.") : null,
    ep.type === "facebook_capi" || ep.type === "tiktok" ? add("test_event_code", "Test event code", e.test_event_code || "", "Set while testing in Events Manager; empty in production.") : null,
    h("div", { class: "row" }, save, cancel),
    msg,
  );
  cancel.addEventListener("click", () => done(null));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body: Record<string, unknown> = {};
    for (const [name, input, was, parse] of inputs) {
      if (input.value.trim() !== was.trim()) body[name] = parse(input.value);
    }
    if (!Object.keys(body).length) return done(null);
    status(msg, "Saving…", "info");
    try {
      done(await patch<Endpoint>("/endpoints/" + enc(ep.id), body));
    } catch (err) {
      status(msg, errorText(err), "error");
      const bad = form.querySelector(`[name="${(err as { field?: string }).field || ""}"]`) as HTMLInputElement | null;
      bad?.focus();
    }
  });
  return form;
}
