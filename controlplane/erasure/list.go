package erasure

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"
)

// List returns the requests' records of one site ("" every site), newest
// first. Records hold no personal data (the sealed identifier of an
// unfinished job is left out); the bucket's MaxBytes bounds how many there
// are.
func (s *Service) List(ctx context.Context, site string) ([]Job, error) {
	kv := s.bucket()
	if kv == nil {
		return nil, ErrUnavailable
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("erasure: list: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var jobs []Job
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return nil, fmt.Errorf("erasure: list: %w", ctx.Err())
		}
		if e == nil {
			break // the initial values are all delivered
		}
		var rec record
		if err := json.Unmarshal(e.Value(), &rec); err != nil || (site != "" && rec.Site != site) {
			continue
		}
		jobs = append(jobs, rec.Job)
	}
	sort.SliceStable(jobs, func(i, k int) bool {
		if !jobs[i].RequestedAt.Equal(jobs[k].RequestedAt) {
			return jobs[i].RequestedAt.After(jobs[k].RequestedAt)
		}
		return jobs[i].ID < jobs[k].ID
	})
	return jobs, nil
}
