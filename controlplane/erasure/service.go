package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/bgwork"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/piicrypt"
	"github.com/popinbridge/bridge/internal/site"
)

// Errors Submit returns besides *FieldError.
var (
	// ErrUnavailable: ClickHouse is not connected, or the service is not running.
	ErrUnavailable = errors.New("erasure: ClickHouse or the request store is not available on this node")
	// ErrBusy: the queue of waiting requests is full.
	ErrBusy = errors.New("erasure: too many requests waiting; retry later")
)

// Config bounds the service.
type Config struct {
	// MaxRows is the most events one request may delete.
	MaxRows int
	// QueueSize is the most requests waiting on one node.
	QueueSize int
	// MaxBytes bounds the bucket of records.
	MaxBytes int64
	// Rescan is how often a node looks again for unfinished requests (a
	// node that stopped, or another that held them, may have left some).
	Rescan time.Duration
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() Config {
	return Config{MaxRows: 100_000, QueueSize: 64, MaxBytes: 64 << 20, Rescan: 5 * time.Minute}
}

// Forgetter forgets the consent remembered for a uid
// (*consentstore.Store).
type Forgetter interface {
	Forget(ctx context.Context, siteID, uid string) error
}

// Suppressor puts an erased identifier on the site's suppression list
// (*suppress.List); norm is its normal form (suppress.Normalise).
type Suppressor interface {
	Add(ctx context.Context, siteID, kind, norm string) error
}

// Settings are the code-supplied parts of a Service.
type Settings struct {
	NATS     natsrv.JetStreamer // required; read at Start
	Bucket   string             // required: the records' KV bucket
	DB       func() *chdb.DB    // required; nil result: not connected (yet)
	Sites    site.Registry      // required
	Consent  Forgetter          // nil: no consent store
	Suppress Suppressor         // nil: later events of an erased person are not suppressed
	Box      *piicrypt.Box      // opens pii: encrypt rows and seals pending identifiers; nil: neither
	Logger   *slog.Logger       // nil: slog.Default()
	Now      func() time.Time   // nil: time.Now
	Claims   Claimer            // nil: no claims (a single node)
}

// Service takes erasure requests and carries them out, one at a time.
type Service struct {
	cfg   Config
	set   Settings
	log   *slog.Logger
	queue chan work

	// pendingChecks counts the reads of system.mutations that found a
	// mutation unfinished (tests wait on it).
	pendingChecks atomic.Uint64

	mu     sync.Mutex
	kv     jetstream.KeyValue
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Service; nothing is opened before Start.
func New(cfg Config, set Settings) (*Service, error) {
	var errs []error
	if set.NATS == nil || set.Bucket == "" || set.DB == nil || set.Sites == nil {
		errs = append(errs, errors.New("erasure: settings NATS, Bucket, DB and Sites are required"))
	}
	if cfg.MaxRows < 1 || cfg.QueueSize < 1 || cfg.MaxBytes < 1<<20 || cfg.Rescan <= 0 {
		errs = append(errs, errors.New("erasure: max_rows, queue_size and rescan must be positive, max_bytes at least 1 MiB"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if set.Logger == nil {
		set.Logger = slog.Default()
	}
	if set.Now == nil {
		set.Now = time.Now
	}
	return &Service{cfg: cfg, set: set, log: set.Logger.With("component", "erasure"), queue: make(chan work, cfg.QueueSize)}, nil
}

// Start opens the bucket, starts the worker and resumes the requests left
// unfinished (pending or running) by a node that stopped.
func (s *Service) Start(ctx context.Context) error {
	var kv jetstream.KeyValue
	err := natsrv.StartRetrying(ctx, s.log, "erasure", func(ctx context.Context) (err error) {
		kv, err = natsrv.EnsureKeyValue(ctx, s.set.NATS.JetStream(), jetstream.KeyValueConfig{
			Bucket: s.set.Bucket, Description: "bridge: erasure requests and their audit records",
			History: 1, MaxBytes: s.cfg.MaxBytes, Storage: jetstream.FileStorage, Replicas: s.set.NATS.Replicas(),
		}, s.log)
		return err
	})
	if err != nil {
		return fmt.Errorf("erasure: bucket %s: %w", s.set.Bucket, err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.kv != nil {
		s.mu.Unlock()
		cancel()
		return nil
	}
	s.kv, s.cancel, s.done = kv, cancel, make(chan struct{})
	s.mu.Unlock()
	go s.run(wctx, s.done)
	s.resume(ctx, kv)
	return nil
}

// Shutdown stops the worker; a job under way stays running in its record
// and is resumed by the next Start. Safe without Start and twice.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.kv, s.cancel, s.done = nil, nil, nil
	s.mu.Unlock()
	return bgwork.Stop(ctx, "erasure shutdown", cancel, done)
}

func (s *Service) bucket() jetstream.KeyValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kv
}

// Submit records a request as pending and queues it. by names who asked.
func (s *Service) Submit(ctx context.Context, req Request, by string) (Job, error) {
	kind, value, err := req.subject()
	if err != nil {
		return Job{}, err
	}
	st, ok := s.set.Sites.ByID(req.Site)
	if !ok {
		return Job{}, &FieldError{"site", fmt.Sprintf("site %q does not exist", req.Site)}
	}
	norm := normalise(kind, value, st.DefaultPhoneRegion)
	if norm == "" {
		return Job{}, invalidValue(kind)
	}
	kv := s.bucket()
	if kv == nil || s.set.DB() == nil {
		return Job{}, ErrUnavailable
	}
	if len(s.queue) == cap(s.queue) {
		return Job{}, ErrBusy
	}
	j := Job{ID: newID(), Site: req.Site, Kind: kind, SubjectHash: subjectHash(req.Site, kind, norm),
		Status: StatusPending, RequestedBy: by, RequestedAt: s.set.Now().UTC()}
	rec := record{Job: j}
	if s.set.Box != nil {
		rec.Sealed = s.set.Box.Seal(kind + ":" + value)
	}
	if err := s.put(ctx, kv, rec, true); err != nil {
		return Job{}, err
	}
	select {
	case s.queue <- work{id: j.ID, kind: kind, value: value}:
	default:
		return Job{}, ErrBusy // raced: the record stays pending and the next Start resumes it
	}
	// A prefix only: the whole hash of an address is as good as the address
	// to anyone who can guess it; the record (by id) holds the whole hash.
	s.log.Info("erasure requested", "id", j.ID, "site", j.Site, "kind", kind, "subject_hash_prefix", j.SubjectHash[:12])
	return j, nil
}

// Job returns a request's record.
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	kv := s.bucket()
	if kv == nil {
		return Job{}, ErrUnavailable
	}
	rec, err := s.get(ctx, kv, id)
	return rec.Job, err
}

func (s *Service) get(ctx context.Context, kv jetstream.KeyValue, id string) (record, error) {
	var rec record
	if !strings.HasPrefix(id, "er_") || len(id) > 64 {
		return rec, ErrNotFound
	}
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, ErrNotFound
	}
	if err != nil {
		return rec, fmt.Errorf("erasure: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return rec, fmt.Errorf("erasure: record %s: %w", id, err)
	}
	return rec, nil
}

func (s *Service) put(ctx context.Context, kv jetstream.KeyValue, rec record, create bool) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("erasure: %w", err)
	}
	if create {
		_, err = kv.Create(ctx, rec.ID, b)
	} else {
		_, err = kv.Put(ctx, rec.ID, b)
	}
	if err != nil {
		return fmt.Errorf("erasure: record %s: %w", rec.ID, err)
	}
	return nil
}

// resume queues the unfinished requests whose identifier this node can open.
func (s *Service) resume(ctx context.Context, kv jetstream.KeyValue) {
	if s.set.Box == nil {
		return
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return // an empty bucket answers ErrNoKeysFound
	}
	for id := range lister.Keys() {
		rec, err := s.get(ctx, kv, id)
		if err != nil || rec.Sealed == "" || (rec.Status != StatusPending && rec.Status != StatusRunning) {
			continue
		}
		plain, err := s.set.Box.Open(rec.Sealed)
		kind, value, ok := strings.Cut(plain, ":")
		if err != nil || !ok {
			continue
		}
		select {
		case s.queue <- work{id: id, kind: kind, value: value}:
		default:
			return
		}
	}
}

// run carries out queued jobs until ctx ends, and every Config.Rescan
// queues the unfinished ones again.
func (s *Service) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	rescan := time.NewTicker(s.cfg.Rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case w := <-s.queue:
			s.process(ctx, w)
		case <-rescan.C:
			if kv := s.bucket(); kv != nil {
				s.resume(ctx, kv)
			}
		}
	}
}

// process runs one job and records its outcome.
func (s *Service) process(ctx context.Context, w work) {
	kv := s.bucket()
	if kv == nil {
		return
	}
	if c := s.set.Claims; c != nil {
		release, ok, err := c.Claim(ctx, w.id)
		if err != nil {
			s.log.Warn("erasure not claimed; tried again at the next rescan", "id", w.id, "err", err)
			return
		}
		if !ok {
			return // another node runs it
		}
		defer release()
	}
	rec, err := s.get(ctx, kv, w.id)
	if err != nil {
		s.log.Warn("erasure record unreadable; request left as it is", "id", w.id, "err", err)
		return
	}
	if finished(rec.Status) {
		return // done meanwhile (queued twice, or by another node)
	}
	now := s.set.Now().UTC()
	rec.Status, rec.StartedAt = StatusRunning, &now
	if err := s.put(ctx, kv, rec, false); err != nil {
		s.log.Warn("erasure not started", "id", w.id, "err", err)
		return
	}
	var counts Counts
	db := s.set.DB()
	if db == nil {
		err = ErrUnavailable
	} else {
		note := func(why string) {
			rec.Waiting = why
			if err := s.put(ctx, kv, rec, false); err != nil {
				s.log.Warn("erasure record not updated", "id", w.id, "err", err)
			}
			if why != "" {
				s.log.Info("erasure waits", "id", w.id, "reason", why)
			}
		}
		counts, err = s.erase(ctx, db, rec.Job, w, note)
	}
	if ctx.Err() != nil {
		return // shutting down: stays running, resumed by the next Start
	}
	end := s.set.Now().UTC()
	rec.Counts, rec.FinishedAt, rec.Sealed, rec.Waiting = counts, &end, "", ""
	rec.Status, rec.Error = StatusDone, ""
	if err != nil {
		rec.Status, rec.Error = StatusFailed, auditError(err)
	}
	if perr := s.put(context.Background(), kv, rec, false); perr != nil {
		s.log.Error("erasure outcome not recorded", "id", w.id, "err", perr)
	}
	s.log.Info("erasure finished", "id", rec.ID, "status", rec.Status, "events", counts.Events, "deliveries", counts.Deliveries, "err", rec.Error)
}

// auditError describes a failure without what ClickHouse may have echoed of
// the query (which names the identifier): the step, and the error code.
func auditError(err error) string {
	var tm errTooMany
	if errors.As(err, &tm) || errors.Is(err, ErrUnavailable) {
		return err.Error()
	}
	step, _, _ := strings.Cut(err.Error(), ": ")
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return fmt.Sprintf("%s failed: ClickHouse error %d", step, ex.Code)
	}
	return step + " failed"
}
