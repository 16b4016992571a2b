package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/popinbridge/bridge/internal/signing"
)

// TestControlPlaneSection covers `controlplane:` and its deprecated name
// `forwarder.management:`.
func TestControlPlaneSection(t *testing.T) {
	const values = "  bucket: cp_test\n  replicas: 3\n  disable_after: 48h\n  ops_webhook:\n    timeout: 3s\n"
	cases := []struct {
		name        string
		yaml        string
		wantErr     []string // every one must appear in the parse error
		wantWarning bool
	}{
		{name: "new key", yaml: "controlplane:\n" + values},
		{name: "old key", yaml: "forwarder:\n  timeout: 3s\n  management:\n" + indent(values), wantWarning: true},
		{name: "both keys", yaml: "controlplane:\n  replicas: 3\nforwarder:\n  management:\n    replicas: 3\n",
			wantErr: []string{"controlplane", "forwarder.management"}},
		{name: "both keys, old first", yaml: "forwarder:\n  management: {bucket: a}\ncontrolplane: {bucket: a}\n",
			wantErr: []string{"controlplane", "forwarder.management"}},
		{name: "unknown key under new", yaml: "controlplane:\n  bukket: x\n", wantErr: []string{"field bukket not found"}},
		{name: "unknown key under old", yaml: "forwarder:\n  management:\n    bukket: x\n", wantErr: []string{"field bukket not found"}},
		{name: "unknown key nested under new", yaml: "controlplane:\n  ops_webhook: {uri: x}\n", wantErr: []string{"field uri not found"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("parsed; want an error")
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("err = %v, want it to name %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cp := c.ControlPlane
			if cp.Bucket != "cp_test" || cp.Replicas != 3 || cp.DisableAfter != 48*time.Hour || cp.OpsWebhook.Timeout != 3*time.Second {
				t.Errorf("controlplane = %+v", cp.Config)
			}
			if cp.FailingAfter != Default().ControlPlane.FailingAfter || cp.OpsWebhook.QueueSize != Default().ControlPlane.OpsWebhook.QueueSize {
				t.Errorf("unset keys lost their defaults: %+v", cp.Config)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
			var warned bool
			for _, w := range c.Warnings() {
				warned = warned || strings.Contains(w, "forwarder.management") && strings.Contains(w, "controlplane")
			}
			if warned != tc.wantWarning {
				t.Errorf("warning naming both keys = %v, want %v; warnings: %q", warned, tc.wantWarning, c.Warnings())
			}
			b, err := yaml.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "management:") || !strings.Contains(string(b), "bucket: cp_test") {
				t.Errorf("rendered config keeps the old key or lacks the new one:\n%s", b)
			}
		})
	}
}

// TestControlPlaneValidationNamesNewKey checks problems name
// controlplane.<key>, whichever name the section was given under.
func TestControlPlaneValidationNamesNewKey(t *testing.T) {
	for _, doc := range []string{
		"controlplane: {bucket: 'bad bucket', replicas: -1}\n",
		"forwarder: {management: {bucket: 'bad bucket', replicas: -1}}\n",
	} {
		c, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if err == nil {
			t.Fatalf("%q validated", doc)
		}
		for _, want := range []string{"controlplane.bucket", "controlplane.replicas"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: problems lack %q:\n%v", doc, want, err)
			}
		}
		if strings.Contains(err.Error(), "forwarder.management") {
			t.Errorf("%q: problems name the old key:\n%v", doc, err)
		}
	}
}

func indent(s string) string {
	return strings.ReplaceAll("  "+strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// The ops webhook URL meets the SSRF guard of deliveries
// (forwarder.allowed_private_targets), and exhausted_window is checked.
func TestControlPlaneOpsWebhookChecks(t *testing.T) {
	secret := signing.NewSecret()
	ops := "controlplane:\n  ops_webhook:\n    url: http://127.0.0.1:9/ops\n    secret: " + secret + "\n"
	for _, tc := range []struct {
		name, yaml string
		wantErr    string
	}{
		{"loopback allowed", ops + "forwarder:\n  allowed_private_targets: [127.0.0.0/8]\n", ""},
		{"loopback refused", ops, "controlplane.ops_webhook.url: ssrf guard"},
		{"window zero", "controlplane:\n  ops_webhook:\n    exhausted_window: 0s\n", "controlplane.ops_webhook.exhausted_window:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("validate: %v, want it to name %q", err, tc.wantErr)
			}
		})
	}
}
