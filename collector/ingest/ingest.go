package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/collector/popinhook"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/schemas"
)

// Validator checks an event's data against the schemas. known is false for
// names the schemas do not describe (such events are still accepted); err,
// naming the field, makes the event invalid_event. It must be safe for
// concurrent use: connections, and the events of a big batch, are
// validated in parallel.
type Validator interface {
	Validate(source event.Source, name string, data json.RawMessage) (known bool, err error)
}

// ValidatorFunc adapts a function, e.g. schemas.Validate, to Validator.
type ValidatorFunc func(source event.Source, name string, data json.RawMessage) (bool, error)

// Validate implements Validator.
func (f ValidatorFunc) Validate(source event.Source, name string, data json.RawMessage) (bool, error) {
	return f(source, name, data)
}

// ValueValidator is a Validator that can also check data ParseBatch has
// already decoded, in the shapes of schemas.DecodeValue, so that each
// event's data is decoded once. ValidateValue must agree with Validate.
type ValueValidator interface {
	Validator
	ValidateValue(source event.Source, name string, v any) (known bool, err error)
}

// schemaValidator is the default: the embedded schemas.
type schemaValidator struct{}

func (schemaValidator) Validate(source event.Source, name string, data json.RawMessage) (bool, error) {
	return schemas.Validate(source, name, data)
}

func (schemaValidator) ValidateValue(source event.Source, name string, v any) (bool, error) {
	return schemas.ValidateValue(source, name, v)
}

// HookParser turns one Popin server webhook body into an event, e.g.
// popinhook.Parse. An error means the body is malformed (400).
type HookParser func(siteID string, body []byte, receivedAt time.Time) (event.Event, error)

// ConsentMemory remembers the last consent seen per (site, uid), e.g.
// *consentstore.Store. Observe must never block; Lookup answers nil, nil
// when nothing is remembered.
type ConsentMemory interface {
	Observe(siteID, uid string, consent map[string]bool)
	Lookup(ctx context.Context, siteID, uid string) (map[string]bool, error)
}

// Settings are the code-supplied parts of Ingest.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	Sites      site.Registry         // required
	Log        eventlog.Appender     // required; acks wait for its Append
	Validator  Validator             // nil: the embedded schemas (schemas.Validate, schemas.ValidateValue)
	PopinHook  HookParser            // nil: popinhook.Parse
	Now        func() time.Time      // nil: time.Now
	// Consent remembers browser events' consent for webhooks to inherit;
	// nil: webhooks carry no consent (the site's consent_mode decides).
	Consent ConsentMemory
}

// Ingest serves the ingest routes. Create it with New; it is safe for
// concurrent use.
type Ingest struct {
	cfg       Config
	lim       Limits
	logger    *slog.Logger
	sites     site.Registry
	appender  eventlog.Appender
	validator Validator
	valueVal  ValueValidator // validator, when it is one
	hook      HookParser
	consent   ConsentMemory
	now       func() time.Time
	m         *metrics

	ipLimits   *limiters
	siteLimits *limiters
	upgrader   websocket.Upgrader
	handler    http.Handler

	mu       sync.Mutex
	closing  bool
	conns    map[*wsConn]struct{}
	perIP    map[string]int
	total    int
	connsWG  sync.WaitGroup
	shutOnce sync.Once
}

// New checks cfg and settings and returns an Ingest.
func New(cfg Config, settings Settings) (*Ingest, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if settings.Sites == nil {
		errs = append(errs, errors.New("settings.Sites: required"))
	}
	if settings.Log == nil {
		errs = append(errs, errors.New("settings.Log: required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if settings.Logger == nil {
		settings.Logger = slog.Default()
	}
	if settings.Registerer == nil {
		settings.Registerer = prometheus.NewRegistry()
	}
	if settings.Validator == nil {
		settings.Validator = schemaValidator{}
	}
	if settings.PopinHook == nil {
		settings.PopinHook = popinhook.Parse
	}
	if settings.Now == nil {
		settings.Now = time.Now
	}
	m, err := newMetrics(settings.Registerer)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	in := &Ingest{
		cfg:        cfg,
		lim:        cfg.limits(),
		logger:     settings.Logger.With("component", "ingest"),
		sites:      settings.Sites,
		appender:   settings.Log,
		validator:  settings.Validator,
		hook:       settings.PopinHook,
		consent:    settings.Consent,
		now:        settings.Now,
		m:          m,
		ipLimits:   newLimiters(cfg.RateLimit.PerIPEventsPerSecond, cfg.RateLimit.PerIPBurst, cfg.RateLimit.TrackedIPs),
		siteLimits: newLimiters(cfg.RateLimit.PerSiteEventsPerSecond, cfg.RateLimit.PerSiteBurst, cfg.RateLimit.TrackedIPs),
		conns:      map[*wsConn]struct{}{},
		perIP:      map[string]int{},
	}
	in.valueVal, _ = settings.Validator.(ValueValidator)
	// Buffers: reads reuse the 4 KiB reader the HTTP server hijacks with the
	// connection (ReadBufferSize 0); writes take a 4 KiB buffer from a pool
	// for the time of one message, so an idle socket holds none.
	in.upgrader = websocket.Upgrader{
		HandshakeTimeout:  cfg.WebSocket.HandshakeTimeout,
		WriteBufferSize:   4096,
		WriteBufferPool:   &sync.Pool{},
		CheckOrigin:       checkOrigin,
		EnableCompression: false, // no permessage-deflate: no decompression bombs
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			writeRefusal(w, refuse(CodeMalformed, "websocket handshake: %v", reason).withStatus(status), 0)
		},
	}
	in.handler = in.routes()
	return in, nil
}

// Handler returns the ingest routes: GET /v1/ws, POST /v1/events (with CORS
// preflight) and POST /v1/hooks/popin.
func (in *Ingest) Handler() http.Handler { return in.handler }

func (in *Ingest) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ws", in.serveWS)
	c := cors.New(cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, origin string) (bool, []string) {
			s, ok := in.siteFor(r)
			return ok && s.AllowsOrigin(origin), nil
		},
		AllowedMethods: []string{http.MethodPost},
		AllowedHeaders: []string{"Content-Type"},
		// Retry-After must be readable by the SDK on a cross-origin 429/503.
		ExposedHeaders: []string{"Retry-After"},
		MaxAge:         600,
	})
	mux.Handle("/v1/events", c.Handler(http.HandlerFunc(in.serveEvents)))
	mux.HandleFunc("POST /v1/hooks/popin", in.serveHook)
	return mux
}

// Start implements the component lifecycle; Ingest has nothing to start.
func (in *Ingest) Start(context.Context) error { return nil }

// Shutdown stops taking new WebSocket connections and requests, asks every
// open socket to close (1001 after its in-flight batches are acked) and
// waits for them, until ctx ends; then it cuts the remaining connections.
// Safe without Start and more than once. Plain HTTP requests are drained by
// the http.Server's own Shutdown.
func (in *Ingest) Shutdown(ctx context.Context) error {
	in.mu.Lock()
	in.closing = true
	conns := make([]*wsConn, 0, len(in.conns))
	for c := range in.conns {
		conns = append(conns, c)
	}
	in.mu.Unlock()
	for _, c := range conns {
		c.requestClose(websocket.CloseGoingAway, "going away: server shutting down")
	}
	done := make(chan struct{})
	go func() { in.connsWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		in.mu.Lock()
		for c := range in.conns {
			_ = c.ws.NetConn().Close()
		}
		in.mu.Unlock()
		return fmt.Errorf("ingest shutdown: %w", ctx.Err())
	}
}

func (in *Ingest) isClosing() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closing
}

// siteFor finds the site of the request's ?key=.
func (in *Ingest) siteFor(r *http.Request) (*site.Site, bool) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return nil, false
	}
	return in.sites.ByWriteKey(key)
}

// clientIP is the connection's remote address, or with TrustProxy the
// right-most X-Forwarded-For entry (the one the trusted proxy appended).
func (in *Ingest) clientIP(r *http.Request) string {
	if in.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// client is who sent a batch.
type client struct {
	site      *site.Site
	ip        string
	userAgent string
	transport string // ws, http, hook
}

// maxUserAgent bounds the stored User-Agent.
const maxUserAgent = 512

func (in *Ingest) clientOf(r *http.Request, s *site.Site, transport string) client {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return client{site: s, ip: in.clientIP(r), userAgent: ua, transport: transport}
}
