package webhook

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/signing"
)

// captureRT answers 200 and keeps the last request's headers.
type captureRT struct{ h http.Header }

func (c *captureRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.h = req.Header.Clone()
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// The headers Export sends and logs (built from per-endpoint
// precomputed parts) are those of the straightforward construction: Set in
// order, signing.SetHeaders, redactHeaders.
func TestWebhookHeadersAsBefore(t *testing.T) {
	s1, s2, s3 := signing.NewSecret(), signing.NewSecret(), signing.NewSecret()
	extra := map[string]string{"X-Tenant": "acme", "user-agent": "custom/2", "Cookie": "c=1"}
	for _, ep := range []endpoint.Endpoint{
		{ID: "sig", Auth: endpoint.AuthSignature, Secret: s1},
		{ID: "rot", Auth: endpoint.AuthSignature, Secret: s1, PreviousSecrets: []endpoint.ExpiringSecret{{Secret: s2, Expires: time.Now().Add(time.Hour)}}, Headers: extra},
		{ID: "rot2", Auth: endpoint.AuthSignature, Secret: s1, PreviousSecrets: []endpoint.ExpiringSecret{
			{Secret: s2, Expires: time.Now().Add(time.Hour)}, {Secret: s3, Expires: time.Now().Add(time.Minute)}}},
		{ID: "rotold", Auth: endpoint.AuthSignature, Secret: s1, PreviousSecrets: []endpoint.ExpiringSecret{{Secret: s2, Expires: time.Now().Add(-time.Hour)}}},
		{ID: "bearer", Auth: endpoint.AuthBearer, Token: "tok", Headers: extra},
		{ID: "plain", Auth: endpoint.AuthNone, Headers: extra, PlainHeaders: []string{"x-tenant"}},
		{ID: "key", Auth: endpoint.AuthAPIKey, Token: "k", APIKeyHeader: "x-make-apikey", Headers: map[string]string{"X-Make-ApiKey": "dup"}},
		{ID: "keyid", Auth: endpoint.AuthAPIKey, Token: "k", APIKeyHeader: "webhook-id"},
		{ID: "none", Auth: endpoint.AuthNone, Headers: extra},
	} {
		t.Run(ep.ID, func(t *testing.T) {
			ep.Site, ep.Type, ep.URL = "acme", endpoint.TypeWebhook, "http://127.0.0.1:1/hook"
			ep.ApplyDefaults()
			capt := &captureRT{}
			x, err := New(ep, httpsend.WithTransport(capt, 1<<16))
			if err != nil {
				t.Fatal(err)
			}
			ev := payload.Sample()
			// Twice: the second attempt reuses the first one's request headers.
			for _, id := range []string{"evt_1", "evt_2"} {
				res := x.Export(context.Background(), []exporter.Item{{WebhookID: id, Event: ev}})
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				body, _ := x.Body(ev)
				ts, err := strconv.ParseInt(capt.h.Get(signing.HeaderTimestamp), 10, 64)
				if err != nil {
					t.Fatalf("webhook-timestamp %q", capt.h.Get(signing.HeaderTimestamp))
				}
				now := time.Unix(ts, 0)
				want := http.Header{}
				want.Set("Content-Type", "application/json")
				want.Set("User-Agent", httpsend.UserAgent)
				for k, v := range ep.Headers {
					want.Set(k, v)
				}
				switch ep.Auth {
				case endpoint.AuthSignature:
					signing.SetHeaders(want, id, now, body, keysOf(t, ep.SigningSecrets(now))...)
				case endpoint.AuthBearer:
					want.Set("Authorization", "Bearer "+ep.Token)
				case endpoint.AuthAPIKey:
					want.Set(ep.APIKeyHeader, ep.Token)
				}
				if ep.Auth != endpoint.AuthSignature {
					want.Set(signing.HeaderID, id)
					want.Set(signing.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
				}
				if !reflect.DeepEqual(capt.h, want) {
					t.Errorf("sent headers\n got %v\nwant %v", capt.h, want)
				}
				// Custom header values are credentials unless marked plain.
				secret := []string{ep.APIKeyHeader}
				for k := range ep.Headers {
					if !slices.ContainsFunc(ep.PlainHeaders, func(p string) bool { return strings.EqualFold(p, k) }) {
						secret = append(secret, k)
					}
				}
				if got, wantLog := res.Request.Headers, httpsend.RedactHeaders(want, secret...); !reflect.DeepEqual(got, wantLog) {
					t.Errorf("logged headers\n got %v\nwant %v", got, wantLog)
				}
				if ep.ID == "rot" && strings.Count(capt.h.Get(signing.HeaderSignature), "v1,") != 2 {
					t.Errorf("rotation: want two signatures, got %q", capt.h.Get(signing.HeaderSignature))
				}
			}
		})
	}
}

func keysOf(t *testing.T, secrets []string) []signing.Key {
	var out []signing.Key
	for _, s := range secrets {
		k, err := signing.ParseSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}
