package erasure

import "context"

// Claimer gives one node at a time a job, so that two nodes never carry
// out (and record) the same request at once: a node that starts resumes
// every unfinished request, including those another node is running.
// The app implements it with a lease per job (internal/lease) that it
// renews while the job runs.
type Claimer interface {
	// Claim takes job for this node; false (and a nil error) when another
	// node holds it. release gives it up; it is called once the job's
	// outcome is recorded, or when the node stops.
	Claim(ctx context.Context, job string) (release func(), ok bool, err error)
}

// finished reports whether a request needs no more work.
func finished(status string) bool { return status == StatusDone || status == StatusFailed }
