// The bridge admin UI: a hash-routed single page over the management API.
import { setToken, token, whenUnauthorized, get, APIError, readOnly } from "./api";
import { h, field, status, errorText } from "./dom";
import { endpointsPage } from "./endpoints";
import { endpointPage } from "./endpoint";
import { sitesPage } from "./sites";
import { catalogPage } from "./catalog";
import { analyticsPage } from "./analytics";
import { erasuresPage } from "./erasures";

let signingIn = false;
const main = () => document.getElementById("main") as HTMLElement;

function loginPage(message?: string): void {
  const input = h("input", { type: "password", name: "token", autocomplete: "current-password", required: true }) as HTMLInputElement;
  const msg = h("p", { role: "status", "aria-live": "polite", class: "status" });
  if (message) status(msg, message, "error");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "login-h" },
    h("h1", { id: "login-h" }, "Sign in"),
    h("p", {}, "Paste the admin token (admin_token in the bridge configuration), or a site's read token. It is kept in this tab only."),
    field("Token", input),
    h("button", { type: "submit" }, "Sign in"),
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    signingIn = true;
    try {
      await get("/sites?limit=1"); // answers the admin token and read tokens alike
      nav(true);
      if (readOnly() && !location.hash.startsWith("#/analytics")) location.hash = "#/analytics";
      else if (!location.hash || location.hash === "#/login") location.hash = "#/endpoints";
      else route();
    } catch (err) {
      setToken(null);
      status(msg, err instanceof APIError && err.status === 401 ? "That token was refused." : errorText(err), "error");
      input.select();
    } finally {
      signingIn = false;
    }
  });
  nav(false);
  main().replaceChildren(form);
  input.focus();
}

function nav(signedIn: boolean): void {
  const links = document.getElementById("nav") as HTMLElement;
  if (!signedIn) {
    links.replaceChildren();
    return;
  }
  const out = h("button", { type: "button", class: "link" }, "Sign out");
  out.addEventListener("click", () => {
    setToken(null);
    loginPage();
  });
  const cur = location.hash.split("?")[0].split("/")[1] || "endpoints";
  const a = (href: string, text: string, key: string) =>
    h("li", {}, h("a", { href, "aria-current": cur === key ? "page" : undefined }, text));
  const pages = readOnly()
    ? [a("#/analytics", "Analytics", "analytics")]
    : [a("#/endpoints", "Endpoints", "endpoints"), a("#/sites", "Sites", "sites"), a("#/analytics", "Analytics", "analytics"), a("#/events", "Event catalog", "events"), a("#/erasures", "Erasures", "erasures"), h("li", {}, h("a", { href: "/api/v1/docs/" }, "API reference"))];
  links.replaceChildren(h("ul", {}, ...pages, h("li", {}, out)));
}

async function route(): Promise<void> {
  if (!token()) return loginPage();
  const parts = location.hash.replace(/^#\/?/, "").split("?")[0].split("/").map(decodeURIComponent);
  if (readOnly() && parts[0] !== "analytics") {
    location.hash = "#/analytics"; // a read token sees nothing else
    return;
  }
  nav(true);
  const el = main();
  el.replaceChildren(h("p", { role: "status" }, "Loading…"));
  try {
    switch (parts[0]) {
      case "endpoints":
        if (parts[1]) await endpointPage(el, parts[1]);
        else await endpointsPage(el);
        break;
      case "sites":
        await sitesPage(el);
        break;
      case "events":
        await catalogPage(el);
        break;
      case "analytics":
        await analyticsPage(el);
        break;
      case "erasures":
        await erasuresPage(el);
        break;
      default:
        location.hash = "#/endpoints";
        return;
    }
    const h1 = el.querySelector("h1");
    if (h1) {
      h1.setAttribute("tabindex", "-1");
      (h1 as HTMLElement).focus();
    }
  } catch (e) {
    if (e instanceof APIError && e.status === 401) return;
    el.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { role: "alert", class: "status error" }, errorText(e)));
  }
}

whenUnauthorized(() => {
  if (signingIn) return;
  setToken(null);
  loginPage("The admin token was refused; sign in again.");
});
// takeLinkToken signs in with the token of a shared link
// (#/analytics?…&token=brt_…) and removes it from the address bar.
function takeLinkToken(): void {
  const [path, query] = location.hash.split("?");
  if (!query) return;
  const q = new URLSearchParams(query);
  const t = q.get("token");
  if (!t) return;
  q.delete("token");
  setToken(t);
  history.replaceState(null, "", path + (q.toString() ? "?" + q : ""));
}

window.addEventListener("hashchange", route);
takeLinkToken();
route();
