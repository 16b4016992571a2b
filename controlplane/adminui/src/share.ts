// "Share read-only link": creates a read token for the site and shows, once,
// a link to its analytics that signs the visitor in with that token. The
// token travels in the URL fragment, which browsers do not send to servers.
import { post, enc } from "./api";
import { h, status, errorText } from "./dom";

export function shareBox(site: () => string): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite", class: "status" });
  const btn = h("button", { type: "button", id: "share" }, "Share read-only link");
  btn.addEventListener("click", async () => {
    const id = site();
    status(out, "Creating a read token…", "info");
    try {
      const t = await post<{ id: string; token: string }>(`/sites/${enc(id)}/tokens`, { name: "analytics link " + new Date().toISOString().slice(0, 10) });
      const link = `${location.origin}${location.pathname}#/analytics?site=${enc(id)}&token=${enc(t.token)}`;
      const copy = h("button", { type: "button" }, "Copy link");
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(link);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Select the link and copy it";
        }
      });
      out.className = "status ok";
      out.replaceChildren(
        h(
          "div",
          { class: "secret-box" },
          h("p", {}, `Anyone with this link can read site ${id}'s analytics and delivery log, nothing else, until you revoke token ${t.id} (DELETE /api/v1/sites/${id}/tokens/${t.id}). It is shown only now.`),
          h("output", { class: "secret", id: "share-link" }, link),
          copy,
        ),
      );
    } catch (err) {
      status(out, errorText(err), "error");
    }
  });
  return h("div", { class: "share" }, btn, out);
}
