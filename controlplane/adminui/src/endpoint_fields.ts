// The endpoint form as data: which fields each endpoint type has, and the
// fields every type shares. A new type (or a new field of a type) is one
// entry here; form_widgets.ts builds the input for each kind and
// endpoint_form.ts lays them out for create and edit alike. Names are the
// management API's field names (POST/PATCH /api/v1/endpoints).

export type Kind =
  | "text" // one line
  | "url"
  | "secret" // write-only credential: never shown, empty keeps the stored one
  | "textarea"
  | "select"
  | "list" // comma-separated → string[]
  | "map" // "key = value" lines → object
  | "number"
  | "bool" // one checkbox
  | "checks" // checkboxes of options → string[]
  | "headers" // custom headers → headers + plain_headers
  | "ldu" // Meta Limited Data Use → limited_data_use
  | "oauth2" // client-credentials grant → oauth2 (form_egress.ts)
  | "tls" // client certificate, CA, server name → tls (form_egress.ts)
  | "template"; // JSON body template with a preview

export interface Spec {
  name: string;
  label: string;
  kind: Kind;
  hint?: string;
  placeholder?: string;
  options?: [string, string][]; // select and checks: [value, label]
  required?: boolean; // at creation
  // when shows the field only while another field has one of these values.
  when?: { field: string; values: string[] };
  // default is the value the API applies when the field is not sent; the
  // form starts from it and sends the field only when it differs.
  default?: unknown;
}

export interface TypeSpec {
  type: string;
  label: string;
  destination: (ep: Record<string, unknown>) => string; // list column text
  fields: Spec[];
}

const AUTH: [string, string][] = [
  ["signature", "Signed (Standard Webhooks secret)"],
  ["bearer", "Bearer token"],
  ["api_key", "API key header"],
  ["none", "None"],
];

export const TYPES: TypeSpec[] = [
  {
    type: "webhook",
    label: "Webhook",
    destination: (ep) => String(ep.url || ""),
    fields: [
      { name: "url", label: "URL", kind: "url", required: true, placeholder: "https://crm.example.com/hooks/popin", hint: "https:// address that receives the events." },
      { name: "auth", label: "Authentication", kind: "select", options: AUTH, default: "signature" },
      {
        name: "token",
        label: "Token",
        kind: "secret",
        when: { field: "auth", values: ["bearer", "api_key"] },
        hint: "Sent as Authorization: Bearer … or in the API key header. Generated (and shown once) when left empty.",
      },
      { name: "api_key_header", label: "API key header", kind: "text", placeholder: "X-API-KEY", when: { field: "auth", values: ["api_key"] } },
      {
        name: "oauth2",
        label: "OAuth2",
        kind: "oauth2",
        hint: "For receivers that want an OAuth2 token: combines with a signature or none, not with a bearer token (the same header). The token is cached until shortly before it expires.",
      },
      { name: "headers", label: "Custom headers", kind: "headers", hint: "Values are secret (sealed, never shown again) unless marked plain." },
      { name: "template", label: "Body template", kind: "template", hint: "Optional JSON whose string values may use {{.data.email}}, {{.context.url}}, …; empty sends the default body." },
    ],
  },
  {
    type: "facebook_capi",
    label: "Meta Conversions API",
    destination: (ep) => "Conversions API" + (ep.pixel_id ? " · pixel " + ep.pixel_id : ""),
    fields: [
      { name: "pixel_id", label: "Pixel id", kind: "text", required: true, placeholder: "123456789012345", hint: "The Meta pixel (dataset) id: digits." },
      { name: "access_token", label: "Access token", kind: "secret", required: true, hint: "Conversions API access token from Events Manager." },
      { name: "test_event_code", label: "Test event code", kind: "text", placeholder: "TEST12345", hint: "Set while testing in Events Manager; empty in production." },
      { name: "event_map", label: "Event map", kind: "map", placeholder: "popin_captured = Lead\nnudge_show =", hint: "One mapping a line, event = Meta event name; nothing after = drops the event. Added to the default mapping." },
      { name: "default_region", label: "Default phone region", kind: "text", placeholder: "IN", hint: "ISO country code used when neither the event nor the site gives one." },
      { name: "limited_data_use", label: "Limited Data Use", kind: "ldu" },
    ],
  },
  {
    type: "ga4",
    label: "Google Analytics 4",
    destination: (ep) => "GA4" + (ep.measurement_id ? " · " + ep.measurement_id : ""),
    fields: [
      { name: "measurement_id", label: "Measurement id", kind: "text", required: true, placeholder: "G-ABC123XYZ", hint: "The GA4 web stream's measurement id." },
      { name: "api_secret", label: "API secret", kind: "secret", required: true, hint: "Measurement Protocol API secret of the stream." },
      { name: "api_url", label: "API URL", kind: "url", placeholder: "https://www.google-analytics.com", hint: "Optional: https://region1.google-analytics.com for the EU endpoint." },
    ],
  },
  {
    type: "tiktok",
    label: "TikTok Events API",
    destination: (ep) => "TikTok" + (ep.pixel_code ? " · pixel " + ep.pixel_code : ""),
    fields: [
      { name: "pixel_code", label: "Pixel code", kind: "text", required: true, placeholder: "COQDA8RC77U2TMR44LI0", hint: "The TikTok pixel code." },
      { name: "access_token", label: "Access token", kind: "secret", required: true, hint: "Events API access token." },
      { name: "test_event_code", label: "Test event code", kind: "text", hint: "Set while testing in Events Manager; empty in production." },
    ],
  },
  {
    type: "slack",
    label: "Slack",
    destination: () => "Slack",
    fields: [
      { name: "url", label: "Incoming webhook URL", kind: "secret", required: true, placeholder: "https://hooks.slack.com/services/…", hint: "A credential: sealed, shown as REDACTED; empty keeps the stored one." },
    ],
  },
  {
    type: "hubspot",
    label: "HubSpot contacts",
    destination: () => "HubSpot",
    fields: [
      { name: "access_token", label: "Private app token", kind: "secret", required: true, hint: "Needs the crm.objects.contacts.write scope." },
      { name: "property_map", label: "Property map", kind: "map", placeholder: "utm_source = popin_utm_source", hint: "One a line: source (utm_<name>, page_url, page_title, referrer, event_name, site, data.<member>) = HubSpot property." },
    ],
  },
];

// COMMON fields come first for every type.
export const COMMON: Spec[] = [
  { name: "description", label: "Description", kind: "text", hint: "Shown in lists; optional." },
  { name: "events", label: "Events", kind: "list", default: ["*"], hint: 'Names or globs, comma-separated; "*" is every event.' },
];

// ADVANCED fields sit in a collapsed section; typesOnly limits one to some types.
export const ADVANCED: (Spec & { typesOnly?: string[] })[] = [
  {
    name: "consent",
    label: "Consent required",
    kind: "checks",
    options: [
      ["analytics", "analytics"],
      ["ads", "ads"],
      ["functional", "functional"],
    ],
    hint: "Purposes a visitor must have allowed for an event to be sent here. Default: ads for the Conversions API, none for webhooks.",
  },
  { name: "filter", label: "Filter", kind: "textarea", placeholder: 'name == "popin_captured" && data.country == "IN"', hint: "Optional expression: only events for which it is true are delivered." },
  { name: "transform", label: "Transform", kind: "textarea", typesOnly: ["webhook"], placeholder: '{"email": data.email, "page": ctx.url}', hint: "Optional expression giving the JSON body instead of the default one (not with a template)." },
  { name: "retry_schedule", label: "Retry schedule", kind: "list", placeholder: "5s, 1m, 10m, 1h", hint: "Waits between attempts, comma-separated; empty uses the bridge's schedule." },
  { name: "concurrency", label: "Concurrency", kind: "number", placeholder: "0", hint: "Attempts at once; 0 uses the bridge's setting." },
  { name: "rate_limit", label: "Rate limit (per second)", kind: "number", placeholder: "0", hint: "Requests per second at most, across nodes; 0 is unlimited." },
  { name: "rate_burst", label: "Rate burst", kind: "number", placeholder: "0", hint: "Requests allowed at once after a quiet spell (with a rate limit)." },
  {
    name: "ordering",
    label: "Ordering",
    kind: "select",
    options: [
      ["none", "None (fastest)"],
      ["per_visitor", "Per visitor: each visitor's events in order"],
    ],
    default: "none",
    hint: "Per visitor costs throughput; use it only where the destination needs order.",
  },
  {
    name: "tls",
    label: "TLS: client certificate (mTLS)",
    kind: "tls",
    hint: "Only for receivers that require a client certificate or use a private CA; all empty uses the system roots.",
  },
  { name: "proxy_url", label: "Proxy URL", kind: "text", placeholder: "http://proxy.internal:3128", hint: "HTTP CONNECT proxy for this endpoint's connections; empty uses the bridge's." },
];

// typeSpec is a type's entry; a type this UI does not know yet gets the
// common and advanced fields only.
export function typeSpec(type: string): TypeSpec {
  return TYPES.find((t) => t.type === type) || { type, label: type, destination: () => type, fields: [] };
}

// consentDefault is what the API applies to an endpoint without consent.
export function consentDefault(type: string): string[] {
  return type === "facebook_capi" || type === "tiktok" ? ["ads"] : type === "ga4" ? ["analytics"] : [];
}
