package controlplane

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

// tsClient is a tiny client over the generated types: it type-checks only
// if required fields are required, enums are unions and bodies are typed.
const tsClient = `import type { Operations, Endpoint } from "./api";

export async function call<K extends keyof Operations>(op: K, params: Record<string, string>, body?: Operations[K]["body"]): Promise<Operations[K]["response"]> {
  const [method, tmpl] = (op as string).split(" ");
  const path = tmpl.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(params[k]));
  const res = await fetch(path, { method, headers: { Authorization: "Bearer t", "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (res.status === 204 ? undefined : await res.json()) as Operations[K]["response"];
}

export function statusLabel(ep: Endpoint): string {
  switch (ep.status) {
    case "active": return "on";
    case "paused": return "paused";
    case "disabled": return "off";
    default: { const never: never = ep.status; return never; }
  }
}

export async function demo(): Promise<number> {
  const ep = await call("POST /api/v1/endpoints", {}, { site: "acme", type: "facebook_capi", pixel_id: "1", access_token: "t", consent: ["ads"] });
  const id: string = ep.id;
  const created: string = ep.created_at;
  const consent: ("analytics" | "ads" | "functional")[] = ep.consent || [];
  const hook = await call("PATCH /api/v1/endpoints/{id}", { id }, { auth: "bearer", headers: { "X-Tenant": "acme" }, plain_headers: ["X-Tenant"] });
  const list = await call("GET /api/v1/endpoints/{id}/deliveries", { id: hook.id });
  let failed = 0;
  for (const d of list.data) if (!d.ok && d.state !== "test") failed += d.status_code;
  const stats = await call("GET /api/v1/endpoints/{id}/stats", { id });
  const last: string | null = stats.last_success_at;
  const preview = await call("POST /api/v1/templates/preview", {}, { template: "{}", event: "popin_captured" });
  const site = await call("PATCH /api/v1/sites/{id}", { id: ep.site }, { consent_mode: "opt_in" });
  const pii: "hash" | "encrypt" | "raw" | "drop" = site.pii;
  await call("DELETE /api/v1/endpoints/{id}", { id });
  return failed + stats.series.length + consent.length + created.length + String(last).length + preview.event.length + pii.length + statusLabel(ep).length;
}
`

// tsBad must not type-check: the positive control that the types are read
// and are strict (an optional field, an enum, a required body field).
const tsBad = `import type { Endpoint, Operations } from "./api";
declare const ep: Endpoint;
export const d: string = ep.description;
export const s: Endpoint["status"] = "bogus";
export const b: Operations["POST /api/v1/endpoints"]["body"] = { type: "webhook" };
`

// TestOpenAPITypeScriptClient generates TypeScript types from openapi.json
// and type-checks a small client against them with tsc --strict.
func TestOpenAPITypeScriptClient(t *testing.T) {
	tsc := testkit.TSC(t)
	types, err := tsFromOpenAPI(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{"api.ts": types, "client.ts": tsClient, "bad.ts": tsBad} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// One run over both files: the client must be clean, bad.ts must fail
	// on each of its three lines.
	cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2020", "--module", "esnext",
		"--moduleResolution", "bundler", "--lib", "es2020,dom", "client.ts", "bad.ts")
	cmd.Dir = dir
	outB, err := cmd.CombinedOutput()
	out := string(outB)
	if err == nil {
		t.Fatal("tsc accepted bad.ts: the generated types were not applied")
	}
	for _, want := range []string{"bad.ts(3,", "bad.ts(4,", "bad.ts(5,", "Property 'site' is missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("tsc output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "client.ts") || strings.Contains(out, "api.ts") {
		t.Errorf("the client does not type-check against the generated types:\n%s\ngenerated types: %s", out, types)
	}
}
