package webhook

import (
	"context"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
)

// A transform gives the body (the map's JSON); one that fails on the event
// is a permanent failure naming it, and nothing is sent.
func TestTransformBody(t *testing.T) {
	ep := endpoint.Endpoint{ID: "t", Site: "acme", Type: endpoint.TypeWebhook, URL: "http://127.0.0.1:1/hook",
		Auth: endpoint.AuthSignature, Secret: signing.NewSecret(), Transform: `{"lead": data.email, "city": data.address?.city}`}
	capt := &captureRT{}
	x, err := New(ep, httpsend.WithTransport(capt, 1<<16))
	if err != nil {
		t.Fatal(err)
	}
	ev := payload.Sample()
	body, err := x.Body(ev)
	if err != nil || string(body) != `{"city":null,"lead":"asha@example.com"}` {
		t.Fatalf("body %s, %v", body, err)
	}
	if res := x.Export(context.Background(), []exporter.Item{{WebhookID: "evt_1", Event: ev}}); res.Err != nil || capt.h == nil {
		t.Fatalf("export: %v (sent: %v)", res.Err, capt.h != nil)
	}

	ep.Transform = `{"city": data.address.city}`
	capt = &captureRT{}
	if x, err = New(ep, httpsend.WithTransport(capt, 1<<16)); err != nil {
		t.Fatal(err)
	}
	res := x.Export(context.Background(), []exporter.Item{{WebhookID: "evt_1", Event: ev}})
	if !retry.IsPermanent(res.Err) || !strings.Contains(res.Err.Error(), "transform: line 1, column") || capt.h != nil {
		t.Fatalf("want a permanent transform error and nothing sent, got %v (sent: %v)", res.Err, capt.h != nil)
	}
}
