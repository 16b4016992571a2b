package erasure

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/piinorm"
)

// Identifier kinds.
const (
	KindUID   = "uid"
	KindAID   = "aid"
	KindEmail = "email"
	KindPhone = "phone"
)

// Job statuses.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Request names one person on one site by exactly one identifier.
type Request struct {
	Site  string `json:"site"`
	UID   string `json:"uid,omitempty"`
	AID   string `json:"aid,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// subject is a request's identifier: its kind and value as given.
func (r Request) subject() (kind, value string, err error) {
	n := 0
	for _, c := range []struct{ k, v string }{{KindUID, r.UID}, {KindAID, r.AID}, {KindEmail, r.Email}, {KindPhone, r.Phone}} {
		if c.v != "" {
			kind, value = c.k, c.v
			n++
		}
	}
	switch {
	case r.Site == "":
		return "", "", &FieldError{"site", "site: required"}
	case n == 0:
		return "", "", &FieldError{"uid", "one of uid, aid, email, phone: required"}
	case n > 1:
		return "", "", &FieldError{kind, "exactly one of uid, aid, email, phone"}
	case len(value) > 512:
		return "", "", &FieldError{kind, kind + ": longer than 512 bytes"}
	}
	return kind, value, nil
}

// FieldError is a request problem naming its field.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Message }

// Counts is what a job removed.
type Counts struct {
	// Events is the rows deleted from events.
	Events uint64 `json:"events"`
	// Deliveries is the delivery attempts whose bodies were emptied.
	Deliveries uint64 `json:"deliveries"`
	// UIDs is the uids whose remembered consent was forgotten.
	UIDs int `json:"uids"`
}

// Job is one erasure request and its outcome: the audit record. It holds
// no personal data.
type Job struct {
	ID          string     `json:"id"`
	Site        string     `json:"site"`
	Kind        string     `json:"kind"`
	SubjectHash string     `json:"subject_hash"`
	Status      string     `json:"status"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Counts      Counts     `json:"counts"`
	Error       string     `json:"error,omitempty"`
	// Waiting says why a running job waits (WaitingRebuild); "" when it
	// does not.
	Waiting string `json:"waiting,omitempty"`
}

// record is a Job as the bucket stores it: plus, until it finishes, the
// identifier sealed with the master key.
type record struct {
	Job
	Sealed string `json:"sealed,omitempty"`
}

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = errors.New("erasure: no such request")

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "er_" + hex.EncodeToString(b[:])
}

// normalise returns the identifier as rows store it before hashing: e-mail
// and phone as for the PII hash, ids as given. "" means it cannot match
// anything stored (not an e-mail or phone number).
func normalise(kind, value, region string) string {
	switch kind {
	case KindEmail:
		return piinorm.Email(value)
	case KindPhone:
		return piinorm.Phone(value, region)
	}
	return value
}

// subjectHash is the audit's stand-in for the identifier.
func subjectHash(site, kind, norm string) string {
	h := sha256.Sum256([]byte(site + "\x00" + kind + "\x00" + norm))
	return hex.EncodeToString(h[:])
}

func invalidValue(kind string) error {
	return &FieldError{kind, fmt.Sprintf("%s: not a valid %s", kind, strings.ReplaceAll(kind, "email", "e-mail address"))}
}
