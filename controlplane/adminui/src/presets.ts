// Webhook presets for common CRMs and automation tools: applying one fills
// the new-endpoint form (values are API fields) and shows the URL to paste
// as the URL field's placeholder. Data only; endpoint_form.ts applies them.

export interface Preset {
  id: string;
  name: string;
  url: string; // the receiver's URL pattern, capitals to replace
  note: string; // where to find the URL and credentials
  values: Record<string, unknown>;
}

const lead = (fields: Record<string, string>) => JSON.stringify(fields, null, 2);

export const PRESETS: Preset[] = [
  {
    id: "hubspot",
    name: "HubSpot (Forms API)",
    url: "https://api.hsforms.com/submissions/v3/integration/submit/PORTAL_ID/FORM_GUID",
    note: "PORTAL_ID and FORM_GUID are in the form's embed code. The submit endpoint needs no authentication.",
    values: {
      auth: "none",
      events: ["popin_captured"],
      template: `{
  "fields": [
    {"objectTypeId": "0-1", "name": "email", "value": "{{.data.email}}"},
    {"objectTypeId": "0-1", "name": "firstname", "value": "{{.data.name}}"},
    {"objectTypeId": "0-1", "name": "phone", "value": "{{.data.mobile}}"}
  ],
  "submittedAt": "{{unixms .timestamp}}",
  "context": {"pageUri": "{{.context.url}}"}
}`,
    },
  },
  {
    id: "salesforce",
    name: "Salesforce Web-to-Lead (via a relay)",
    url: "https://relay.example.com/salesforce/web-to-lead",
    note: "Salesforce's Web-to-Lead servlet reads form fields, and bridge sends JSON: point this at a relay (a Zapier, Make or n8n step, or your server) that posts these fields to https://webto.salesforce.com/servlet/servlet.WebToLead. Replace ORG_ID with your organisation id.",
    values: {
      auth: "signature",
      events: ["popin_captured"],
      template: lead({
        oid: "ORG_ID",
        last_name: "{{default \"Unknown\" .data.name}}",
        email: "{{.data.email}}",
        phone: "{{.data.mobile}}",
        city: "{{.data.city}}",
        lead_source: "Popin video call",
        description: "{{.context.url}}",
      }),
    },
  },
  {
    id: "zapier",
    name: "Zapier (Catch Hook)",
    url: "https://hooks.zapier.com/hooks/catch/ACCOUNT_ID/HOOK_ID/",
    note: "Webhooks by Zapier → Catch Hook gives the URL; the URL is the secret, so no authentication. A flat body is easiest to map in Zapier.",
    values: {
      auth: "none",
      events: ["*"],
      template: lead({ event: "{{.type}}", time: "{{.timestamp}}", name: "{{.data.name}}", email: "{{.data.email}}", phone: "{{.data.mobile}}", page: "{{.context.url}}" }),
    },
  },
  {
    id: "make",
    name: "Make (custom webhook)",
    url: "https://hook.eu1.make.com/HOOK_ID",
    note: "Create a Custom webhook with API key authentication in Make and paste its key as the token (or copy the generated one into Make).",
    values: {
      auth: "api_key",
      api_key_header: "x-make-apikey",
      events: ["*"],
      template: lead({ event: "{{.type}}", time: "{{.timestamp}}", name: "{{.data.name}}", email: "{{.data.email}}", phone: "{{.data.mobile}}", page: "{{.context.url}}" }),
    },
  },
  {
    id: "n8n",
    name: "n8n (Webhook node)",
    url: "https://n8n.example.com/webhook/WEBHOOK_PATH",
    note: "Use a Webhook node with Header Auth named X-Bridge-Key and paste the token there; the default body keeps every field.",
    values: { auth: "api_key", api_key_header: "X-Bridge-Key", events: ["*"], template: "", headers: { "X-Source": "popin-bridge" }, plain_headers: ["X-Source"] },
  },
];
