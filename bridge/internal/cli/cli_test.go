package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	good := filepath.Join(dir, "good.yaml")
	legacy := filepath.Join(dir, "legacy.yaml")
	_ = os.WriteFile(bad, []byte("listen: nope\nsites: [{id: a}]\n"), 0o600)
	_ = os.WriteFile(good, []byte("sites: [{id: a, write_key: pk_a, origins: [\"https://a.example\"]}]\n"), 0o600)
	_ = os.WriteFile(legacy, []byte("forwarder: {management: {replicas: 3}}\n"), 0o600)
	cases := []struct {
		args       []string
		code       int
		out, errIn string
	}{
		{[]string{"version"}, exitOK, "bridge dev (commit ", ""},
		{nil, exitUsage, "", "usage: bridge"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"check-config", "--config", good}, exitOK, "configuration ok", ""},
		{[]string{"check-config", "--config", bad}, exitUsage, "", "sites[0].write_key: required"},
		{[]string{"check-config", "--config", bad}, exitUsage, "", "listen:"},
		{[]string{"check-config", "--config", filepath.Join(dir, "missing.yaml")}, exitUsage, "", "no such file"},
		{[]string{"check-config", "--config", legacy}, exitOK, "configuration ok", "warning: forwarder.management: deprecated, use controlplane"},
		{[]string{"check-config", "--print-defaults"}, exitOK, "retry_schedule:", ""},
		{[]string{"check-config", "--print-defaults"}, exitOK, "\ncontrolplane:\n  bucket: bridge_mgmt\n", ""},
		{[]string{"check-config", "--bogus"}, exitUsage, "", "flag provided but not defined"},
		{[]string{"sdk"}, exitOK, "popinEvent", ""},
		{[]string{"serve", "--config", good, "--role", "relay"}, exitUsage, "", `--role: "relay" is not one of all, ingest, deliver`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(tc.args, &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("stdout lacks %q: %s", tc.out, out.String())
			}
			if !strings.Contains(errb.String(), tc.errIn) {
				t.Errorf("stderr lacks %q: %s", tc.errIn, errb.String())
			}
		})
	}
}

func TestSDKWritesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sdk.js")
	var out, errb bytes.Buffer
	if code := Main([]string{"sdk", "-o", path}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 1000 {
		t.Fatalf("sdk file: %d bytes, %v", len(b), err)
	}
}
