package forwarder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
)

// captureRT answers 200 and keeps the last request's headers.
type captureRT struct{ h http.Header }

func (c *captureRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.h = req.Header.Clone()
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// The headers sendWebhook sends and logs (built from per-endpoint
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
		{ID: "key", Auth: endpoint.AuthAPIKey, Token: "k", APIKeyHeader: "x-make-apikey", Headers: map[string]string{"X-Make-ApiKey": "dup"}},
		{ID: "keyid", Auth: endpoint.AuthAPIKey, Token: "k", APIKeyHeader: "webhook-id"},
		{ID: "none", Auth: endpoint.AuthNone, Headers: extra},
	} {
		t.Run(ep.ID, func(t *testing.T) {
			ep.Site, ep.Type, ep.URL = "acme", endpoint.TypeWebhook, "http://127.0.0.1:1/hook"
			cfg := testConfig(ep)
			p, err := cfg.parse()
			if err != nil {
				t.Fatal(err)
			}
			f := &Forwarder{cfg: cfg, p: p}
			rt, err := buildRuntime(ep, f)
			if err != nil {
				t.Fatal(err)
			}
			capt := &captureRT{}
			f.client = &http.Client{Transport: capt}
			ev := testEvent("popin_captured")
			res := f.sendWebhook(context.Background(), rt, WebhookID(ev.ID), &ev)
			if res.err != nil {
				t.Fatal(res.err)
			}
			body, _ := webhookBody(rt, &ev)
			ts, err := strconv.ParseInt(capt.h.Get(signing.HeaderTimestamp), 10, 64)
			if err != nil {
				t.Fatalf("webhook-timestamp %q", capt.h.Get(signing.HeaderTimestamp))
			}
			now := time.Unix(ts, 0)
			want := http.Header{}
			want.Set("Content-Type", "application/json")
			want.Set("User-Agent", userAgent)
			for k, v := range rt.cfg.Headers {
				want.Set(k, v)
			}
			switch rt.cfg.Auth {
			case endpoint.AuthSignature:
				signing.SetHeaders(want, WebhookID(ev.ID), now, body, keysOf(t, rt.cfg.SigningSecrets(now))...)
			case endpoint.AuthBearer:
				want.Set("Authorization", "Bearer "+rt.cfg.Token)
			case endpoint.AuthAPIKey:
				want.Set(rt.cfg.APIKeyHeader, rt.cfg.Token)
			}
			if rt.cfg.Auth != endpoint.AuthSignature {
				want.Set(signing.HeaderID, WebhookID(ev.ID))
				want.Set(signing.HeaderTimestamp, formatUnix(now))
			}
			if !reflect.DeepEqual(capt.h, want) {
				t.Errorf("sent headers\n got %v\nwant %v", capt.h, want)
			}
			if got, wantLog := res.reqHeaders, redactHeaders(want, rt.cfg.APIKeyHeader); !reflect.DeepEqual(got, wantLog) {
				t.Errorf("logged headers\n got %v\nwant %v", got, wantLog)
			}
			if ep.ID == "rot" && strings.Count(capt.h.Get(signing.HeaderSignature), "v1,") != 2 {
				t.Errorf("rotation: want two signatures, got %q", capt.h.Get(signing.HeaderSignature))
			}
		})
	}
}

// errReader returns its bytes, then err.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadLimited(t *testing.T) {
	big := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name          string
		body          string
		length, limit int64
		err           error
		want          string
	}{
		{"empty known", "", 0, 100, nil, ""},
		{"empty unknown", "", -1, 100, nil, ""},
		{"known", "hello", 5, 100, nil, "hello"},
		{"known at limit", "hello", 5, 5, nil, "hello"},
		{"known over limit", "hello world", 11, 5, nil, "hello"},
		{"unknown", big, -1, 65536, nil, big},
		{"unknown over limit", big, -1, 1000, nil, big[:1000]},
		{"read error", "abc", -1, 100, errors.New("reset"), "abc"},
		{"no limit", "abc", 3, 0, nil, ""},
	} {
		got := readLimited(&errReader{r: bytes.NewReader([]byte(tc.body)), err: cmpErr(tc.err)}, tc.length, tc.limit)
		if string(got) != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
		if tc.want == "" && got != nil {
			t.Errorf("%s: want nil", tc.name)
		}
	}
}

func cmpErr(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
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
