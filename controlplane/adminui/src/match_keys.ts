// The customer-information keys an ad-platform attempt sent (delivery
// match_keys: Conversions API and TikTok), named for people.
import { h } from "./dom";

const NAMES: Record<string, string> = {
  em: "e-mail (hashed)",
  email: "e-mail (hashed)",
  ph: "phone (hashed)",
  phone: "phone (hashed)",
  fn: "first name (hashed)",
  ln: "last name (hashed)",
  ct: "city (hashed)",
  st: "state (hashed)",
  zp: "postal code (hashed)",
  country: "country (hashed)",
  external_id: "external id (hashed)",
  ip: "IP address",
  ua: "user agent",
  user_agent: "user agent",
  fbp: "browser id (_fbp cookie)",
  fbc: "click id (fbclid)",
  ttclid: "click id (ttclid)",
  ttp: "browser id (_ttp cookie)",
};

export function matchKeys(keys: string): HTMLElement {
  const ks = keys.split(",").map((k) => k.trim()).filter(Boolean);
  return h(
    "div",
    { class: "match-keys" },
    h("h3", {}, "Match keys"),
    h("p", { class: "note" }, "The customer-information keys sent with this event: the more the platform can match to a person, the higher its match quality and the better ads are attributed and optimised."),
    h("ul", { "aria-label": "Match keys sent" }, ...ks.map((k) => h("li", {}, h("code", {}, k), NAMES[k] ? " — " + NAMES[k] : ""))),
  );
}
