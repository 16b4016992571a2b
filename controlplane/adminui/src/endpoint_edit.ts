// Edit an endpoint in place: the fields of its type (endpoint_form.ts),
// started from the stored values; only the fields changed are PATCHed
// (PATCH replaces the fields it names). The type cannot change.
import { patch, Endpoint, enc } from "./api";
import { h, status, errorText } from "./dom";
import { badField, endpointFields } from "./endpoint_form";
import { typeSpec } from "./endpoint_fields";

export function editForm(ep: Endpoint, done: (saved: Endpoint | null) => void): HTMLElement {
  const fs = endpointFields(ep.type, ep as unknown as Record<string, unknown>, true);
  const msg = h("p", { role: "status", "aria-live": "polite", class: "status" });
  const save = h("button", { type: "submit" }, "Save changes");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    { class: "card edit", "aria-labelledby": "edit-h" },
    h("h2", { id: "edit-h" }, `Edit endpoint ${ep.id} (${typeSpec(ep.type).label})`),
    fs.el,
    h("div", { class: "row" }, save, cancel),
    msg,
  );
  cancel.addEventListener("click", () => done(null));
  form.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Escape") done(null);
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = fs.changed();
    if (!Object.keys(body).length) return done(null);
    status(msg, "Saving…", "info");
    try {
      done(await patch<Endpoint>("/endpoints/" + enc(ep.id), body));
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
