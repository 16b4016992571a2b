// Widgets of endpoint auth and egress: oauth2 (client-credentials grant)
// and tls (client certificate, private CA, server name). Their secrets —
// oauth2.client_secret and tls.key — are write-only: reads show REDACTED,
// an empty input sends REDACTED back while one is stored (the API keeps it).
import { h, field } from "./dom";
import type { Spec } from "./endpoint_fields";
import type { Widget } from "./form_widgets";

const REDACTED = "REDACTED";

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
const pem = (name: string, rows = 3) =>
  h("textarea", { name, rows, autocomplete: "off", spellcheck: "false", placeholder: "-----BEGIN …-----" }) as HTMLTextAreaElement;

// keptSecret is a password-like input for a stored credential: it never
// shows it, and reads as REDACTED while left empty with one stored.
function keptSecret(input: HTMLInputElement | HTMLTextAreaElement, what: string) {
  let stored = false;
  const empty = input.placeholder;
  return {
    read: () => input.value.trim() || (stored ? REDACTED : ""),
    write: (v: unknown) => {
      stored = v === REDACTED || (typeof v === "string" && v !== "");
      input.value = "";
      input.placeholder = stored ? `unchanged (stored ${what}, never shown)` : empty;
    },
  };
}

interface OAuth2 {
  token_url: string;
  client_id: string;
  client_secret?: string;
  scopes?: string[];
  audience?: string;
  endpoint_params?: Record<string, string>;
  auth_style?: string;
}

// oauth2 is off (null) or the grant's settings.
export function oauth2(spec: Spec): Widget {
  const n = spec.name;
  const on = h("input", { type: "checkbox", name: n }) as HTMLInputElement;
  const tokenURL = h("input", { name: n + ".token_url", type: "url", placeholder: "https://auth.example.com/oauth/token" }) as HTMLInputElement;
  const clientID = h("input", { name: n + ".client_id", type: "text", autocomplete: "off" }) as HTMLInputElement;
  const secretIn = h("input", { name: n + ".client_secret", type: "password", autocomplete: "off" }) as HTMLInputElement;
  const secret = keptSecret(secretIn, "secret");
  const scopes = h("input", { name: n + ".scopes", type: "text", placeholder: "leads:write, contacts:read" }) as HTMLInputElement;
  const audience = h("input", { name: n + ".audience", type: "text", placeholder: "https://crm.example.com" }) as HTMLInputElement;
  const params = h("textarea", { name: n + ".endpoint_params", rows: 2, placeholder: "resource = https://crm.example.com" }) as HTMLTextAreaElement;
  const style = h(
    "select",
    { name: n + ".auth_style" },
    h("option", { value: "" }, "Automatic (Basic, then form body)"),
    h("option", { value: "header" }, "HTTP Basic header"),
    h("option", { value: "params" }, "Form body"),
  ) as HTMLSelectElement;
  const more = h(
    "div",
    {},
    field("Token URL", tokenURL, "The authorization server's token endpoint; it meets the same private-address guard as the URL."),
    field("Client id", clientID),
    field("Client secret", secretIn, "Never shown again once saved; when editing, empty keeps the stored one (give it again if the token URL changes)."),
    field("Scopes", scopes, "Comma-separated; optional."),
    field("Audience", audience, "Optional audience parameter (Auth0 and others)."),
    field("Extra token parameters", params, "One a line, name = value; optional."),
    field("Client authentication", style, "How the client id and secret reach the token endpoint."),
  );
  const sync = () => (more.hidden = !on.checked);
  on.addEventListener("change", sync);
  const hintId = "hint-" + n;
  const el = h(
    "fieldset",
    { class: "field egress", "aria-describedby": hintId },
    h("legend", {}, spec.label),
    h("label", { class: "check" }, on, " Get an access token (client credentials) and send it as Authorization: Bearer"),
    h("small", { id: hintId }, spec.hint || ""),
    more,
  );
  sync();
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const readParams = () => {
    const m: Record<string, string> = {};
    for (const line of params.value.split("\n")) {
      const at = line.indexOf("=");
      if (at > 0) m[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return m;
  };
  return {
    spec,
    el,
    get: () => {
      if (!on.checked) return { [n]: null };
      const o: OAuth2 = { token_url: tokenURL.value.trim(), client_id: clientID.value.trim() };
      const s = secret.read();
      if (s) o.client_secret = s;
      if (list(scopes.value).length) o.scopes = list(scopes.value);
      if (audience.value.trim()) o.audience = audience.value.trim();
      if (Object.keys(readParams()).length) o.endpoint_params = readParams();
      if (style.value) o.auth_style = style.value;
      return { [n]: o };
    },
    set: (v) => {
      if (!(n in v)) return;
      const o = v[n] as OAuth2 | null | undefined;
      on.checked = !!o;
      tokenURL.value = str(o?.token_url);
      clientID.value = str(o?.client_id);
      secret.write(o?.client_secret);
      scopes.value = (o?.scopes || []).join(", ");
      audience.value = str(o?.audience);
      params.value = Object.entries(o?.endpoint_params || {}).map(([k, x]) => `${k} = ${x}`).join("\n");
      style.value = str(o?.auth_style);
      sync();
    },
  };
}

interface TLS {
  cert_pem?: string;
  key?: string;
  ca_pem?: string;
  server_name?: string;
}

// tls is null while every part is empty; the key is kept (REDACTED) only
// while a certificate is given.
export function tls(spec: Spec): Widget {
  const n = spec.name;
  const cert = pem(n + ".cert_pem");
  const keyIn = pem(n + ".key");
  const key = keptSecret(keyIn, "key");
  const ca = pem(n + ".ca_pem");
  const server = h("input", { name: n + ".server_name", type: "text", placeholder: "crm.internal" }) as HTMLInputElement;
  const hintId = "hint-" + n;
  const el = h(
    "fieldset",
    { class: "field egress", "aria-describedby": hintId },
    h("legend", {}, spec.label),
    h("small", { id: hintId }, spec.hint || ""),
    field("Client certificate (PEM)", cert, "Certificate chain, leaf first, for receivers that require mutual TLS; empty removes it."),
    field("Private key (PEM)", keyIn, "The certificate's key; never shown again once saved; when editing, empty keeps the stored key."),
    field("Trusted CA (PEM)", ca, "Certificates trusted for the receiver besides the system roots (a private CA)."),
    field("Server name", server, "Replaces the URL's host for SNI and certificate verification."),
  );
  return {
    spec,
    el,
    get: () => {
      const t: TLS = {};
      if (cert.value.trim()) {
        t.cert_pem = cert.value.trim() + "\n";
        const k = key.read();
        if (k) t.key = k === REDACTED ? k : k + "\n";
      }
      if (ca.value.trim()) t.ca_pem = ca.value.trim() + "\n";
      if (server.value.trim()) t.server_name = server.value.trim();
      return { [n]: Object.keys(t).length ? t : null };
    },
    set: (v) => {
      if (!(n in v)) return;
      const t = v[n] as TLS | null | undefined;
      cert.value = str(t?.cert_pem).trim();
      key.write(t?.key);
      ca.value = str(t?.ca_pem).trim();
      server.value = str(t?.server_name);
    },
  };
}
