package controlplane

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// insertSiteDelivery stores one delivered attempt of endpoint for site.
func insertSiteDelivery(t *testing.T, db *chdb.DB, id, endpoint, site string) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := b.Append(id, "ev_"+id, endpoint, site, "popin_captured", "wh_"+id, uint32(1), uint16(200), uint8(1), uint32(12), "",
		at, time.Unix(0, 0), uint8(0), "https://crm.example.com/h", `{}`, `{}`, "", "delivered"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// newToken creates a read token through the API and returns id and secret.
func (f *fixture) newToken(site, name string) (string, string) {
	f.t.Helper()
	st, body := f.do("POST", "/api/v1/sites/"+site+"/tokens", map[string]any{"name": name})
	if st != 201 {
		f.t.Fatalf("create token: %d %v", st, body)
	}
	id, _ := body["id"].(string)
	secret, _ := body["token"].(string)
	if !strings.HasPrefix(id, "rt_") || !strings.HasPrefix(secret, readTokenPrefix) || body["site"] != site || body["name"] != name {
		f.t.Fatalf("created token: %v", body)
	}
	return id, secret
}

func TestReadTokenRoutes(t *testing.T) {
	db := openHistory(t)
	f := newFixture(t, func(_ *Config, s *Settings) {
		s.History, s.Analytics = NewClickHouseHistory(db), NewClickHouseAnalytics(db)
	})
	f.mustSite("acme")
	f.mustSite("other")
	f.mustEndpoint(map[string]any{"id": "ep_a", "site": "acme", "url": "https://crm.example.com/a", "events": []string{"popin_captured"}})
	f.mustEndpoint(map[string]any{"id": "ep_b", "site": "other", "url": "https://crm.example.com/b", "events": []string{"popin_captured"}})
	insertSiteDelivery(t, db, "d_a", "ep_a", "acme")
	insertSiteDelivery(t, db, "d_b", "ep_b", "other")

	_, readA := f.newToken("acme", "client A")
	revokedID, revoked := f.newToken("acme", "old")
	if st, body := f.do("DELETE", "/api/v1/sites/acme/tokens/"+revokedID, nil); st != 204 {
		t.Fatalf("revoke: %d %v", st, body)
	}
	kinds := []struct {
		name, token string
	}{{"admin", testToken}, {"read-acme", readA}, {"revoked", revoked}, {"garbage", readTokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}

	// Writes carry a malformed body or name nothing that exists, so the
	// admin token changes nothing either. read is the read token's answer;
	// field the error.field of a 403 for another site.
	cases := []struct {
		pattern, path string
		body          any
		admin, read   int
		field         string
	}{
		{"GET /api/v1/sites", "/api/v1/sites", nil, 200, 200, ""},
		{"POST /api/v1/sites", "/api/v1/sites", "{", 400, 403, ""},
		{"GET /api/v1/sites/{id}", "/api/v1/sites/acme", nil, 200, 200, ""},
		{"GET /api/v1/sites/{id}", "/api/v1/sites/other", nil, 200, 403, "id"},
		{"PATCH /api/v1/sites/{id}", "/api/v1/sites/acme", "{", 400, 403, ""},
		{"DELETE /api/v1/sites/{id}", "/api/v1/sites/acme", nil, 409, 403, ""},
		{"GET /api/v1/sites/{id}/tokens", "/api/v1/sites/acme/tokens", nil, 200, 403, ""},
		{"POST /api/v1/sites/{id}/tokens", "/api/v1/sites/nope/tokens", nil, 404, 403, ""},
		{"DELETE /api/v1/sites/{id}/tokens/{token}", "/api/v1/sites/acme/tokens/rt_nope", nil, 404, 403, ""},
		{"GET /api/v1/endpoints", "/api/v1/endpoints", nil, 200, 200, ""},
		{"GET /api/v1/endpoints", "/api/v1/endpoints?site=other", nil, 200, 403, "site"},
		{"POST /api/v1/endpoints", "/api/v1/endpoints", "{", 400, 403, ""},
		{"POST /api/v1/endpoints/test-rules", "/api/v1/endpoints/test-rules", "{", 400, 403, ""},
		{"POST /api/v1/templates/preview", "/api/v1/templates/preview", map[string]any{"template": "{}"}, 200, 403, ""},
		{"GET /api/v1/erasures", "/api/v1/erasures?site=acme", nil, 503, 403, ""}, // no ClickHouse in this fixture
		{"POST /api/v1/erasures", "/api/v1/erasures", "{", 400, 403, ""},
		{"GET /api/v1/erasures/{id}", "/api/v1/erasures/nope", nil, 503, 403, ""}, // no ClickHouse in this fixture
		{"GET /api/v1/endpoints/{id}", "/api/v1/endpoints/ep_a", nil, 200, 200, ""},
		{"GET /api/v1/endpoints/{id}", "/api/v1/endpoints/ep_b", nil, 200, 403, "id"},
		{"GET /api/v1/endpoints/{id}", "/api/v1/endpoints/nope", nil, 404, 404, "id"},
		{"PATCH /api/v1/endpoints/{id}", "/api/v1/endpoints/ep_a", "{", 400, 403, ""},
		{"DELETE /api/v1/endpoints/{id}", "/api/v1/endpoints/nope", nil, 404, 403, ""},
		{"POST /api/v1/endpoints/{id}/test", "/api/v1/endpoints/nope/test", nil, 404, 403, ""},
		{"POST /api/v1/endpoints/{id}/rotate-secret", "/api/v1/endpoints/nope/rotate-secret", nil, 404, 403, ""},
		{"GET /api/v1/endpoints/{id}/deliveries", "/api/v1/endpoints/ep_a/deliveries", nil, 200, 200, ""},
		{"GET /api/v1/endpoints/{id}/deliveries", "/api/v1/endpoints/ep_b/deliveries", nil, 200, 403, "id"},
		{"GET /api/v1/endpoints/{id}/stats", "/api/v1/endpoints/ep_a/stats", nil, 200, 200, ""},
		{"GET /api/v1/endpoints/{id}/stats", "/api/v1/endpoints/ep_b/stats", nil, 200, 403, "id"},
		{"POST /api/v1/endpoints/{id}/retry-failed", "/api/v1/endpoints/nope/retry-failed", nil, 404, 403, ""},
		{"POST /api/v1/endpoints/{id}/replay", "/api/v1/endpoints/nope/replay", nil, 404, 403, ""},
		{"GET /api/v1/deliveries/{id}", "/api/v1/deliveries/d_a", nil, 200, 200, ""},
		{"GET /api/v1/deliveries/{id}", "/api/v1/deliveries/d_b", nil, 200, 403, "id"},
		{"GET /api/v1/deliveries/{id}", "/api/v1/deliveries/nope", nil, 404, 404, "id"},
		{"POST /api/v1/deliveries/{id}/retry", "/api/v1/deliveries/nope/retry", nil, 404, 403, ""},
		{"GET /api/v1/event-types", "/api/v1/event-types", nil, 200, 403, ""},
		{"GET /api/v1/analytics/funnel", "/api/v1/analytics/funnel?site=acme", nil, 200, 200, ""},
		{"GET /api/v1/analytics/funnel", "/api/v1/analytics/funnel?site=other", nil, 200, 403, "site"},
		{"GET /api/v1/analytics/summary", "/api/v1/analytics/summary?site=acme", nil, 200, 200, ""},
		{"GET /api/v1/analytics/summary", "/api/v1/analytics/summary?site=other", nil, 200, 403, "site"},
		{"GET /api/v1/openapi.json", "/api/v1/openapi.json", nil, 200, 200, ""},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.pattern] = true
		method := c.pattern[:strings.IndexByte(c.pattern, ' ')]
		for _, k := range kinds {
			want := map[string]int{"admin": c.admin, "read-acme": c.read}[k.name]
			if want == 0 {
				want = http.StatusUnauthorized
			}
			t.Run(k.name+" "+method+" "+c.path, func(t *testing.T) {
				st, body := f.doToken(k.token, method, c.path, c.body)
				if st != want {
					t.Fatalf("status %d, want %d: %v", st, want, body)
				}
				if st == http.StatusForbidden {
					msg, _ := body["error"].(map[string]any)["message"].(string)
					if errCode(body) != "forbidden" || !strings.Contains(msg, "read token") || errField(body) != c.field {
						t.Fatalf("403 body %v, want code forbidden, a reason and field %q", body, c.field)
					}
				}
			})
		}
	}
	for _, rt := range apiRoutes {
		if !covered[rt.method+" "+rt.path] {
			t.Errorf("route %s %s has no read-token case", rt.method, rt.path)
		}
	}

	// Lists answer only the token's site.
	for _, c := range []struct{ path, want string }{{"/api/v1/sites", "acme"}, {"/api/v1/endpoints", "ep_a"}} {
		_, body := f.doToken(readA, "GET", c.path, nil)
		data, _ := body["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["id"] != c.want {
			t.Errorf("%s with the read token: %v, want only %s", c.path, body, c.want)
		}
		_, body = f.do("GET", c.path, nil)
		if data, _ := body["data"].([]any); len(data) != 2 {
			t.Errorf("%s with the admin token: %v, want both sites' entries", c.path, body)
		}
	}
}

func TestReadTokenLifecycle(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	other := newNode(t, f.nats)
	id, secret := f.newToken("acme", "agency")

	// Listed without the secret; the bucket holds only its hash.
	_, body := f.do("GET", "/api/v1/sites/acme/tokens", nil)
	data, _ := body["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] != id || data[0].(map[string]any)["token"] != nil {
		t.Fatalf("list: %v", body)
	}
	e, err := f.mgr.store().kv.Get(context.Background(), tokenPrefix+id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(e.Value()), strings.TrimPrefix(secret, readTokenPrefix)) || !strings.Contains(string(e.Value()), `"hash":"`) {
		t.Fatalf("stored token %s", e.Value())
	}

	// Another node accepts it, and refuses it once revoked on the first.
	waitFor(t, "token on the other node", func() bool { st, _ := other.doToken(secret, "GET", "/api/v1/sites/acme", nil); return st == 200 })
	if st, body := f.do("DELETE", "/api/v1/sites/acme/tokens/"+id, nil); st != 204 {
		t.Fatalf("revoke: %d %v", st, body)
	}
	if st, _ := f.doToken(secret, "GET", "/api/v1/sites/acme", nil); st != 401 {
		t.Fatalf("revoked token on its node: %d", st)
	}
	waitFor(t, "revocation on the other node", func() bool { st, _ := other.doToken(secret, "GET", "/api/v1/sites/acme", nil); return st == 401 })

	// Deleting the site revokes its tokens: a new site of that id does not
	// inherit them.
	_, secret2 := f.newToken("acme", "")
	if st, _ := f.doToken(secret2, "GET", "/api/v1/sites/acme", nil); st != 200 {
		t.Fatalf("new token: %d", st)
	}
	if st, body := f.do("DELETE", "/api/v1/sites/acme", nil); st != 204 {
		t.Fatalf("delete site: %d %v", st, body)
	}
	f.mustSite("acme")
	if st, _ := f.doToken(secret2, "GET", "/api/v1/sites/acme", nil); st != 401 {
		t.Fatalf("token of a deleted site: %d", st)
	}

	for _, c := range []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"unknown site", "/api/v1/sites/nope/tokens", nil, 404, "id"},
		{"long name", "/api/v1/sites/acme/tokens", map[string]any{"name": strings.Repeat("x", 101)}, 422, "name"},
		{"two lines", "/api/v1/sites/acme/tokens", map[string]any{"name": "a\nb"}, 422, "name"},
		{"unknown field", "/api/v1/sites/acme/tokens", map[string]any{"site": "other"}, 422, "site"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, body := f.do("POST", c.path, c.body)
			if st != c.status || errField(body) != c.field {
				t.Fatalf("%d %v, want %d field %q", st, body, c.status, c.field)
			}
		})
	}
}
