package adminui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/controlplane/adminui"
	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
)

const chromium = "/usr/bin/chromium"

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}

// chEngine stands in for the forwarder: a test send is POSTed, signed, to
// the endpoint and recorded in ClickHouse deliveries as the forwarder does.
// With a gate, the row is written only once the gate is closed, as the
// forwarder's batched delivery log writes it a moment after the answer.
type chEngine struct {
	db      *chdb.DB
	mu      sync.Mutex
	gate    chan struct{}
	pending sync.WaitGroup
	applied map[string]controlplane.Endpoint // by id, as the forwarder has them (egress_e2e_test.go)
}

func (e *chEngine) Apply(eps []controlplane.Endpoint) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.applied = make(map[string]controlplane.Endpoint, len(eps))
	for _, ep := range eps {
		e.applied[ep.ID] = ep
	}
}
func (e *chEngine) Retry(context.Context, controlplane.Endpoint, controlplane.Delivery) error {
	return nil
}
func (e *chEngine) Replay(context.Context, controlplane.Endpoint, []event.Event) error { return nil }
func (e *chEngine) Problems() map[string]string                                        { return nil }

func (e *chEngine) Test(ctx context.Context, ep controlplane.Endpoint, ev event.Event) (controlplane.Attempt, error) {
	body, _ := json.Marshal(map[string]any{"id": ev.ID, "type": ev.Name, "timestamp": ev.ReceivedAt, "site": ev.SiteID, "data": ev.Data})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var keys []signing.Key
	for _, s := range ep.SigningSecrets(time.Now()) {
		k, _ := signing.ParseSecret(s)
		keys = append(keys, k)
	}
	signing.SetHeaders(req.Header, ev.ID, time.Now(), body, keys...)
	a := controlplane.Attempt{DeliveryID: "test_" + uuid.NewString(), EndpointID: ep.ID, EventID: ev.ID, EventName: ev.Name,
		WebhookID: ev.ID, Attempt: 1, Test: true, AttemptedAt: time.Now().UTC().Truncate(time.Second)}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	a.LatencyMS = time.Since(start).Milliseconds()
	respBody := ""
	if err != nil {
		a.Error = err.Error()
	} else {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		a.StatusCode, a.OK, respBody = resp.StatusCode, resp.StatusCode/100 == 2, string(b)
	}
	hdrs, _ := json.Marshal(map[string]string{"webhook-id": req.Header.Get("webhook-id"), "webhook-signature": req.Header.Get("webhook-signature")})
	ok := uint8(0)
	if a.OK {
		ok = 1
	}
	record := func(ctx context.Context) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		batch, err := e.db.Conn().PrepareBatch(ctx, "INSERT INTO "+e.db.Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
		if err != nil {
			return err
		}
		if err := batch.Append(a.DeliveryID, a.EventID, a.EndpointID, ep.Site, a.EventName, a.WebhookID, uint32(1), uint16(a.StatusCode),
			ok, uint32(a.LatencyMS), a.Error, a.AttemptedAt, time.Unix(0, 0), uint8(1), ep.URL, string(hdrs), string(body), respBody, "succeeded"); err != nil {
			return err
		}
		return batch.Send()
	}
	if e.gate == nil {
		return a, record(ctx)
	}
	e.pending.Add(1)
	go func() {
		defer e.pending.Done()
		<-e.gate
		_ = record(context.Background()) // a failure shows as a missing row
	}()
	return a, nil
}

func outputDir(t *testing.T) string {
	if d := os.Getenv("BRIDGE_TEST_OUTPUT"); d != "" {
		d = filepath.Join(d, "adminui")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestAdminUIInChromium(t *testing.T) {
	needChromium(t)
	// ClickHouse with the bridge schema, a JetStream, and the management plane.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := migratedDB(t, "adminui_e2e")
	const token = "e2e-admin-token-0123456789"
	eng := &chEngine{db: db, gate: make(chan struct{})}
	release := sync.OnceFunc(func() { close(eng.gate) })
	defer func() { release(); eng.pending.Wait() }()
	js := natsrv.Fixed(natstest.JetStream(t))
	era, err := erasure.New(erasure.NewDefaultConfig(), erasure.Settings{NATS: js, Bucket: "E2E_ERASURES",
		DB: func() *chdb.DB { return db }, Sites: site.NewStatic([]site.Site{{ID: "acme"}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := era.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer era.Shutdown(context.Background())
	m, err := controlplane.New(controlplane.NewDefaultConfig(), controlplane.Settings{
		AdminToken: token, MasterKey: bytes.Repeat([]byte{1}, 32), NATS: js, Erasures: era,
		Sites: site.NewStatic(nil), Engine: eng, History: controlplane.NewClickHouseHistory(db),
		AllowedPrivateTargets: []string{"127.0.0.0/8"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Seed(ctx, []site.Site{{ID: "acme", WriteKey: "pk_acme", Origins: []string{"https://www.acme.com"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	var received sync.Map
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received.Store(r.Header.Get("webhook-id"), b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", m.Handler())
	mux.Handle("/admin/", adminui.Handler("/admin/"))
	app := httptest.NewServer(mux)
	defer app.Close()

	bctx, stopChromium := startChromium(t, app.URL+"/admin/")
	defer stopChromium()
	step := stepper(t, bctx)
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	waitText := func(name, sel, want string) {
		t.Helper()
		js := fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.textContent.includes(%q))`, sel, want)
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			shot(t, bctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
			t.Fatalf("%s: %q not found in %s: %v", name, want, sel, err)
		}
	}

	// A wrong token is refused; the right one signs in.
	step("login form", chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	step("wrong token", chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "wrong-token"), chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	waitText("refused", "[role=status]", "refused")
	step("sign in", chromedp.Clear(chromedp.CSS(`input[name=token]`)), chromedp.SendKeys(chromedp.CSS(`input[name=token]`), token),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#new-ep`)))

	// Try a filter and a transform on the sample lead: an error shows its
	// position, a good pair the body the receiver would get.
	step("bad filter", chromedp.Click(chromedp.CSS(`details.advanced summary`)), chromedp.SendKeys(chromedp.CSS(`textarea[name=filter]`), `nme == 1`),
		chromedp.Click(chromedp.Search(`//button[text()="Test rules on a sample lead"]`)))
	waitText("filter error", "[role=status]", "line 1, column 1: unknown name nme")
	step("good rules", chromedp.SetValue(chromedp.CSS(`textarea[name=filter]`), `data.country == "IN"`),
		chromedp.SetValue(chromedp.CSS(`textarea[name=transform]`), `{"lead": upper(data.email)}`),
		chromedp.Click(chromedp.Search(`//button[text()="Test rules on a sample lead"]`)))
	waitText("rules tested", "[role=status] pre", `"lead": "ASHA@EXAMPLE.COM"`)
	step("clear rules", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`document.querySelectorAll("textarea").forEach(t => t.value = ""); true`)(ctx, tg)
		return err
	}))

	// Create an endpoint; the secret is shown once.
	step("create endpoint",
		chromedp.SendKeys(chromedp.CSS(`input[name=id]`), "crm"),
		chromedp.SendKeys(chromedp.CSS(`input[name=url]`), rcv.URL+"/hooks"),
		chromedp.SetValue(chromedp.CSS(`input[name=events]`), "popin_captured"),
		chromedp.Click(chromedp.CSS(`#new-ep ~ button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`output.secret`)))
	secret := text(`output.secret`)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("shown secret %q", secret)
	}

	// Endpoint page: send a test and see the attempt in the log.
	step("open endpoint", chromedp.Navigate(app.URL+"/admin/#/endpoints/crm"), chromedp.WaitVisible(chromedp.Search(`//button[text()="Send test"]`)))
	step("send test", chromedp.Click(chromedp.Search(`//button[text()="Send test"]`)))
	waitText("test result", "[role=status]", "Test delivered: 204")
	waitText("attempt shown at once", "tbody tr.pending", "popin_captured (test)")
	release() // the delivery log writes it now; the list picks it up
	waitText("attempt logged", "tbody tr:not(.pending)", "popin_captured (test)")
	n := 0
	received.Range(func(_, _ any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("receiver got %d requests", n)
	}
	step("attempt details", chromedp.Click(chromedp.Search(`//button[text()="Details"]`)))
	waitText("request shown", "pre", "webhook-signature")

	// A delivery that failed, was retried, then replayed: retries and
	// replays are marked, and Details shows the attempt of the row clicked.
	now := time.Now()
	insertLogged(t, db, "crm", []logged{
		{delivery: "dx", attempt: 1, code: 500, at: now.Add(-10 * time.Minute), reqBody: `{"n":1}`, state: "retrying", site: "acme", url: rcv.URL},
		{delivery: "dx", attempt: 2, code: 200, at: now.Add(-9 * time.Minute), state: "delivered", site: "acme", url: rcv.URL},
		{delivery: "dx", attempt: 1, code: 200, at: now.Add(-5 * time.Minute), reqBody: `{"n":3}`, state: "delivered", site: "acme", url: rcv.URL},
	})
	step("reload attempts", chromedp.Click(chromedp.CSS(`form[aria-label="Filter attempts"] button[type=submit]`)))
	waitText("retry marked", "tbody tr", "popin_captured retry")
	waitText("replay marked", "tbody tr", "popin_captured replay")
	// Recorded triggers are shown as they are, without the earlier
	// attempts of the delivery on the page.
	insertLogged(t, db, "crm", []logged{
		{delivery: "dy", attempt: 1, code: 200, at: now.Add(-4 * time.Minute), state: "delivered", site: "acme", url: rcv.URL, trigger: "replay"},
		{delivery: "dz", attempt: 3, code: 200, at: now.Add(-3 * time.Minute), state: "delivered", site: "acme", url: rcv.URL, trigger: "manual"},
	})
	step("reload attempts again", chromedp.Click(chromedp.CSS(`form[aria-label="Filter attempts"] button[type=submit]`)))
	waitText("recorded replay", `tbody tr[data-delivery="dy"]`, "popin_captured replay")
	waitText("recorded manual retry", `tbody tr[data-delivery="dz"]`, "popin_captured manual")
	step("details of attempt 2", chromedp.Click(chromedp.CSS(`button[aria-label="Details of attempt 2 of dx"]`)))
	waitText("attempt 2 shown", "section p", "Attempt 2 at")
	waitText("no body explained", "p.note", "Request body not kept")

	// Rotate the secret: a new one, shown once.
	step("rotate", chromedp.Click(chromedp.Search(`//button[text()="Rotate secret"]`)), chromedp.WaitVisible(chromedp.CSS(`output.secret`)))
	rotated := text(`output.secret`)
	if !strings.HasPrefix(rotated, "whsec_") || rotated == secret {
		t.Fatalf("rotated secret %q", rotated)
	}
	waitText("previous secret", "dl.facts", "Previous secret valid until")

	// Edit in place: only the changed fields are sent; the facts show them.
	step("edit", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit input[name=events]`)),
		chromedp.SetValue(chromedp.CSS(`form.edit input[name=events]`), "popin_captured, nudge_show"),
		chromedp.SendKeys(chromedp.CSS(`form.edit input[name=description]`), "CRM leads"),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	waitText("edited", "dl.facts", "popin_captured, nudge_show")
	waitText("saved", "[role=status]", "Endpoint crm saved.")
	if got := apiGet(t, app.URL+"/api/v1/endpoints/crm", token); !strings.Contains(got, `"events":["popin_captured","nudge_show"]`) || !strings.Contains(got, `"description":"CRM leads"`) {
		t.Fatalf("endpoint after edit: %s", got)
	}

	// Pause and resume.
	step("pause", chromedp.Click(chromedp.Search(`//button[text()="Pause"]`)))
	waitText("paused", "[role=status]", "now paused")

	path := filepath.Join(outputDir(t), "adminui-endpoint.png")
	shotTo(t, bctx, path)
	t.Logf("screenshot: %s", path)

	// Sites and catalog pages render.
	step("sites", chromedp.Navigate(app.URL+"/admin/#/sites"), chromedp.WaitVisible(chromedp.CSS(`#new-site`)))
	waitText("site listed", "tbody th", "acme")
	step("catalog", chromedp.Navigate(app.URL+"/admin/#/events"))
	waitText("catalog", "tbody code", "popin_captured")

	b := &browser{t: t, app: app.URL, token: token, receiver: rcv.URL, step: step, waitText: waitText, eng: eng,
		insert: func(endpoint string, rows []logged) { insertLogged(t, db, endpoint, rows) },
		waitJS: func(name, js string) {
			t.Helper()
			sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
			defer cancel()
			if _, err := chromedp.Run(sctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
				shot(t, bctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
				t.Fatalf("%s: %s is not true: %v", name, js, err)
			}
		},
		shot: func(name string) { shotTo(t, bctx, shotName(t, name)) },
	}
	productSteps(b)
	egressSteps(b)
	privacySteps(b)
}

func apiGet(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func shot(t *testing.T, ctx context.Context, name string) {
	shotTo(t, ctx, filepath.Join(outputDir(t), name+".png"))
}

func shotTo(t *testing.T, ctx context.Context, path string) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
	}
}
