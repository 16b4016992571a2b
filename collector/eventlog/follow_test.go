package eventlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestFollow: a following reader returns every segment once, one Fetch per
// segment as they trickle in, and leaves its pull request open after a Fetch
// returned (a plain reader's request has ended by then); a Fetch that waited
// past the request's expiry opens another, and nothing is lost.
func TestFollow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		follow      bool
		waitingLeft int // pull requests waiting after a Fetch returned a segment
	}{
		{"plain", false, 0},
		{"follow", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := openLog(t, testConfig(t.TempDir()))
			r, err := l.Reader("trickle-" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if tc.follow {
				Follow(r)
			}
			cons, err := r.(*reader).consumer()
			if err != nil {
				t.Fatal(err)
			}
			// Nothing there: the Fetch expires empty, the log stays readable.
			if segs, err := r.Fetch(context.Background(), 16, 300*time.Millisecond); err != nil || len(segs) != 0 {
				t.Fatalf("Fetch of an empty log = %d segments, %v", len(segs), err)
			}
			seen := map[string]int{}
			for i := range 12 {
				id := fmt.Sprintf("%s-%d", tc.name, i)
				if err := l.Append(context.Background(), events(id)); err != nil {
					t.Fatal(err)
				}
				segs, err := r.Fetch(context.Background(), 16, 5*time.Second)
				if err != nil || len(segs) == 0 {
					t.Fatalf("Fetch after appending %s = %d segments, %v", id, len(segs), err)
				}
				for _, s := range segs {
					for _, e := range s.Events() {
						seen[e.ID]++
					}
				}
				if _, err := AckAll(segs); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					testkit.Eventually(t, 5*time.Second, func() error {
						info, err := cons.Info(context.Background())
						if err == nil && info.NumWaiting != tc.waitingLeft {
							err = fmt.Errorf("%d pull requests waiting, want %d", info.NumWaiting, tc.waitingLeft)
						}
						return err
					})
				}
			}
			for i := range 12 {
				if id := fmt.Sprintf("%s-%d", tc.name, i); seen[id] != 1 {
					t.Fatalf("%s read %d times, want once (%v)", id, seen[id], seen)
				}
			}
			assertNoMore(t, l, r)
		})
	}
}
