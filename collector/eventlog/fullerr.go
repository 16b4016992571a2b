package eventlog

import (
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// isFull reports whether err is JetStream refusing a message for lack of room:
// the stream's max_bytes with DiscardNew (10077 "maximum bytes exceeded") or
// the server's storage (10047).
func isFull(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case errCodeStreamStoreFailed:
		return strings.Contains(apiErr.Description, "maximum")
	case errCodeStorageResourcesExceeded:
		return true
	}
	return false
}

// JetStream error codes (nats-server jetstream_errors_generated.go).
const (
	errCodeStorageResourcesExceeded jetstream.ErrorCode = 10047
	errCodeStreamStoreFailed        jetstream.ErrorCode = 10077
)
