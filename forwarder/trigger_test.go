package forwarder

import (
	"testing"

	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
)

// What made an attempt, from the queued message and the attempt number;
// a replay queued before Message.Replay existed still reads as a replay.
func TestTrigger(t *testing.T) {
	for _, c := range []struct {
		name string
		msg  string // as stored in the queue
		n    int
		want string
	}{
		{"first attempt", `{"delivery_id":"d"}`, 1, dlv.TriggerFirst},
		{"scheduled retry", `{"delivery_id":"d","prior_attempts":1}`, 2, dlv.TriggerRetry},
		{"fast-path hand-off", `{"delivery_id":"d","prior_attempts":1,"handoff":true}`, 2, dlv.TriggerRetry},
		{"manual retry of a dead letter", `{"delivery_id":"d","prior_attempts":4,"manual":true}`, 5, dlv.TriggerManual},
		{"replay", `{"delivery_id":"d","manual":true,"replay":true}`, 1, dlv.TriggerReplay},
		{"replay kept after a 410", `{"delivery_id":"d","prior_attempts":1,"manual":true,"replay":true}`, 2, dlv.TriggerReplay},
		{"replay queued before the replay field", `{"delivery_id":"d","manual":true}`, 1, dlv.TriggerReplay},
	} {
		m, err := queue.Decode([]byte(c.msg))
		if err != nil {
			t.Fatal(err)
		}
		if got := trigger(m, c.n); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
