package forwarder

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestRetryTimingFollowsSchedule: every attempt of a delivery to an endpoint
// that keeps failing comes no sooner than the schedule says after the
// previous one (a correctness bound: no retry early), there are exactly
// len(schedule)+1 attempts, all with the same webhook-id, and the delivery
// log numbers them 1..n. Table cases cover the first attempt made on the
// fast path and through the queue (circuit open), and a Retry-After
// longer than the schedule (it lengthens the wait).
func TestRetryTimingFollowsSchedule(t *testing.T) {
	cases := []struct {
		name       string
		schedule   []string
		fastPath   bool
		retryAfter string
		slow       time.Duration // receiver latency; over the budget: a hand-off
	}{
		{name: "fast path first attempt", schedule: []string{"1s", "1s", "1s"}, fastPath: true},
		{name: "queued first attempt", schedule: []string{"1s", "1s", "1s"}},
		{name: "Retry-After longer than the schedule", schedule: []string{"1s", "1s"}, fastPath: true, retryAfter: "2"},
		{name: "fast-path attempt handed off", schedule: []string{"1s", "1s"}, fastPath: true, slow: 300 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sched []time.Duration
			for _, s := range tc.schedule {
				d, _ := time.ParseDuration(s)
				sched = append(sched, d)
			}
			secret := signing.NewSecret()
			rcv := newReceiver(t, secret)
			rcv.setStatus(func(int) int { return http.StatusInternalServerError })
			rcv.setDelay(tc.slow)
			url := rcv.url()
			if tc.retryAfter != "" {
				srv := httptest.NewServer(withHeader(http.HandlerFunc(rcv.serve), "Retry-After", tc.retryAfter))
				t.Cleanup(srv.Close)
				url = srv.URL + "/hook"
				d, _ := time.ParseDuration(tc.retryAfter + "s")
				for i := range sched {
					sched[i] = max(sched[i], d)
				}
			}
			cfg := testConfig(webhookEP("ep", url, secret))
			cfg.RetrySchedule = tc.schedule
			cfg.RetryJitter = 0
			if !tc.fastPath {
				cfg.FastPathBudget = "0s"
			}
			late := 5 * time.Second // generous: a loaded machine
			if tc.slow > 0 {
				cfg.FastPathBudget = "100ms"
				// The hand-off copy is due after the attempt's timeout.
				late += 2*time.Second + handoffMargin
			}
			e := newEnv(t, cfg)
			ev := testEvent("lead.created")
			e.log.Append(ev)

			want := len(sched) + 1
			testkit.Eventually(t, 60*time.Second, func() error {
				var dead int
				for _, r := range e.w.forEndpoint("ep") {
					if r.State == dlv.StateDead {
						dead++
					}
				}
				if dead == 0 {
					return fmt.Errorf("not dead-lettered yet; %d rows", len(e.w.forEndpoint("ep")))
				}
				return nil
			})
			// The last attempt (dead-lettered) was seen; a stray one would
			// still be in the queue.
			queueIdle(t, e, "ep")

			rcv.mu.Lock()
			var ids []string
			for id := range rcv.times {
				ids = append(ids, id)
			}
			var times []time.Time
			if len(ids) == 1 {
				times = append(times, rcv.times[ids[0]]...)
			}
			hdrIDs := map[string]int{}
			for _, h := range rcv.headers {
				hdrIDs[h.Get(signing.HeaderID)]++
			}
			rcv.mu.Unlock()

			if len(ids) != 1 || len(hdrIDs) != 1 || ids[0] != queue.WebhookID(ev.ID) {
				t.Fatalf("webhook-ids seen %v (headers %v), want only %s", ids, hdrIDs, queue.WebhookID(ev.ID))
			}
			var gaps []time.Duration
			for i := 1; i < len(times); i++ {
				gaps = append(gaps, times[i].Sub(times[i-1]).Round(time.Millisecond))
			}
			t.Logf("gaps between attempts: %v (schedule %v)", gaps, sched)
			if len(times) != want {
				t.Errorf("%d attempts, want %d", len(times), want)
			}
			const early = 50 * time.Millisecond // clock and timer slack
			for i, g := range gaps {
				if i >= len(sched) {
					break
				}
				if g < sched[i]-early {
					t.Errorf("attempt %d came %v after attempt %d; the schedule says %v", i+2, g, i+1, sched[i])
				}
				if g > sched[i]+late {
					t.Errorf("attempt %d came %v after attempt %d; the schedule says %v", i+2, g, i+1, sched[i])
				}
			}

			rows := e.w.forEndpoint("ep")
			var nums []int
			for _, r := range rows {
				nums = append(nums, r.Attempt)
				if r.WebhookID != queue.WebhookID(ev.ID) {
					t.Errorf("row of attempt %d has webhook-id %s", r.Attempt, r.WebhookID)
				}
			}
			sort.Ints(nums)
			for i, n := range nums {
				if n != i+1 {
					t.Errorf("delivery log attempt numbers %v, want 1..%d", nums, want)
					break
				}
			}
			if len(nums) != want {
				t.Errorf("delivery log has %d rows (%v), want %d", len(nums), nums, want)
			}
		})
	}
}

func withHeader(h http.Handler, k, v string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(k, v)
		h.ServeHTTP(w, r)
	})
}

// TestDueTimes: an idle runner looks at its queue when each put-back
// delivery comes due (not at its next idle poll), keeps looking at short,
// growing intervals while one is overdue (the server hands it out a little
// late), and forgets it dueSlack later. Synthetic clock: no timing.
func TestDueTimes(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var q dueTimes
	if w := q.wait(t0); w != idlePoll {
		t.Fatalf("nothing put back: wait %v, want the idle poll %v", w, idlePoll)
	}
	if !q.add(ms(1000)) || q.add(ms(1300)) || !q.add(ms(400)) || q.add(ms(1000)) {
		t.Fatalf("add does not report the earliest: %v", q.at)
	}
	if q.add(ms(1303)); len(q.at) != 4 {
		t.Fatalf("due times %v, want 4 (1303 ms rounds up to its own 10 ms step)", q.at)
	}
	steps := []struct {
		now  int
		want time.Duration
	}{
		{0, 400 * time.Millisecond},    // the first due time, not idlePoll
		{400, dueGrain},                // due: look, and again shortly if it is not there yet
		{410, dueGrain},                // overdue 10 ms
		{430, 30 * time.Millisecond},   // overdue 30 ms: intervals grow
		{800, 200 * time.Millisecond},  // the next due time comes first
		{1000, dueGrain},               // the second
		{1200, 100 * time.Millisecond}, // overdue 200 ms, but 1300 comes sooner
		{1390, 80 * time.Millisecond},  // overdue 80 ms since 1310
		{2305, 995 * time.Millisecond}, // 1300 forgotten, 1310 not yet (dueSlack past it)
		{3000, idlePoll},               // all forgotten
	}
	for _, s := range steps {
		if got := q.wait(ms(s.now)); got != s.want {
			t.Errorf("at +%d ms: wait %v, want %v (due times %v)", s.now, got, s.want, q.at)
		}
	}
	if len(q.at) != 0 {
		t.Errorf("due times %v kept after dueSlack", q.at)
	}
	for i := range maxDueTimes + 10 {
		q.add(ms(i * 10))
	}
	if len(q.at) != maxDueTimes || q.at[0] != ms(0).UnixNano() {
		t.Errorf("%d due times kept (first %d), want the earliest %d", len(q.at), q.at[0], maxDueTimes)
	}
}
