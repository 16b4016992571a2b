package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/popinbridge/bridge/internal/logsample"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Operational event types (the Svix names).
const (
	OpsEndpointFailing   = "endpoint.failing"
	OpsEndpointDisabled  = "endpoint.disabled"
	OpsAttemptsExhausted = "message.attempt.exhausted"
)

// OpsEvent is the body of an operational webhook.
type OpsEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// notifier logs operational events and sends them, signed, to the ops URL
// from a bounded queue by one worker. A full queue drops (counted). Its
// default client dials through the SSRF guard.
type notifier struct {
	url     string
	key     signing.Key
	client  *http.Client
	log     *slog.Logger
	logs    *logsample.Sampler // repeated failures
	metrics *metrics
	now     func() time.Time

	mu      sync.Mutex
	q       chan OpsEvent
	closed  bool
	done    chan struct{}
	stop    context.Context // ends when shutdown gives up: waits are cut short
	abandon context.CancelFunc
	started bool
}

func newNotifier(cfg OpsWebhookConfig, client *http.Client, guard *ssrf.Guard, log *slog.Logger, logs *logsample.Sampler, m *metrics, now func() time.Time) *notifier {
	n := &notifier{url: cfg.URL, log: log, logs: logs, metrics: m, now: now,
		q: make(chan OpsEvent, cfg.QueueSize), done: make(chan struct{})}
	n.stop, n.abandon = context.WithCancel(context.Background())
	if cfg.URL != "" {
		n.key, _ = signing.ParseSecret(cfg.Secret) // checked by Config.Validate
	}
	n.client = client
	if n.client == nil {
		d := guard.Dialer(net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second})
		n.client = &http.Client{
			Timeout:       cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				Proxy:               nil, // the guard must see the target's address
				DialContext:         d.DialContext,
				ForceAttemptHTTP2:   true,
				MaxIdleConnsPerHost: 2,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: cfg.Timeout,
			},
		}
	}
	return n
}

func (n *notifier) start() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return
	}
	n.started = true
	go n.run()
}

// notify logs the event and queues it for the ops URL; it never blocks.
func (n *notifier) notify(typ string, data any) {
	ev := OpsEvent{Type: typ, Timestamp: n.now().UTC(), Data: data}
	n.log.Warn("controlplane: operational event", "type", typ, "data", data)
	if n.url == "" {
		n.metrics.opsSent.WithLabelValues(typ, "logged_only").Inc()
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.metrics.opsDropped.Inc()
		return
	}
	select {
	case n.q <- ev:
		n.metrics.opsQueued.WithLabelValues(typ).Inc()
	default:
		n.metrics.opsDropped.Inc()
		n.logs.Error(typ, "controlplane: operational webhook queue full; event dropped", "type", typ)
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for ev := range n.q {
		if n.stop.Err() != nil {
			n.metrics.opsDropped.Inc()
			continue
		}
		n.deliver(ev)
	}
}

// deliver tries an event up to three times, giving up early on shutdown.
func (n *notifier) deliver(ev OpsEvent) {
	body, err := json.Marshal(ev)
	if err != nil {
		n.log.Error("controlplane: encode operational event", "type", ev.Type, "err", err)
		return
	}
	id := "ops_" + uuid.NewString()
	backoff := retry.Backoff{Min: time.Second, Max: 5 * time.Second}
	for try := 1; ; try++ {
		err = n.send(id, body)
		if err == nil {
			n.metrics.opsSent.WithLabelValues(ev.Type, "sent").Inc()
			return
		}
		if try == 3 || !retry.Sleep(n.stop, backoff.Next()) {
			break
		}
	}
	n.metrics.opsSent.WithLabelValues(ev.Type, "failed").Inc()
	n.logs.Error(ev.Type, "controlplane: operational webhook not delivered", "type", ev.Type, "url", n.url, "err", err)
}

func (n *notifier) send(id string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bridge-ops/1")
	signing.SetHeaders(req.Header, id, time.Now(), body, n.key) // wall clock: receivers check it
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// shutdown stops intake and waits for queued events until ctx ends; what
// is left then is dropped (counted).
func (n *notifier) shutdown(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	close(n.q)
	started := n.started
	n.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		n.abandon()
		return errors.Join(errors.New("controlplane: operational webhooks left undelivered"), ctx.Err())
	}
}
