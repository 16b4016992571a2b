package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/config"
)

// What check-config accepts, serve seeds and delivers: the file's endpoints
// go through the one validator at both steps. The cases are inputs on which
// the old validators disagreed (check-config passed, seeding failed).
func TestDeclaredEndpointsCheckedOnce(t *testing.T) {
	yml := `
sites:
  - {id: acme, write_key: pk_acme, origins: ["https://www.acme.com"], popin_api_key: "."}
endpoints:
  - {id: wide, site: acme, url: "https://crm.example.com/h", concurrency: 512}
  - {id: gen, site: acme, url: "https://crm.example.com/g", auth: bearer}
  - {id: paused, site: acme, url: "https://crm.example.com/p", status: paused}
  - {id: meta, site: acme, type: facebook_capi, pixel_id: "1234567890", access_token: "EAAB"}
`
	cfg, err := config.Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	base := testConfig(t)
	cfg.Listen, cfg.DataDir, cfg.AdminToken, cfg.ClickHouse = base.Listen, base.DataDir, base.AdminToken, base.ClickHouse
	if err := cfg.Validate(); err != nil {
		t.Fatalf("check-config: %v", err)
	}
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatalf("serve refused what check-config accepted: %v", err)
	}
	defer a.Shutdown(ctx)
	req, _ := http.NewRequest("GET", "http://"+a.Addr()+"/api/v1/endpoints", nil)
	req.Header.Set("Authorization", "Bearer test-admin-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range page.Data {
		got[fmt.Sprint(e["id"])] = fmt.Sprint(e["status"])
	}
	want := map[string]string{"wide": "active", "gen": "active", "paused": "paused", "meta": "active"}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("endpoint %s: status %q, want %q (listed: %v)", id, got[id], st, got)
		}
	}
}
