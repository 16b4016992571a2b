package chdb

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ErrUnavailable wraps errors that mean the server could not be reached or
// did not answer; retrying later may succeed.
var ErrUnavailable = errors.New("clickhouse unavailable")

// Permanent server error codes: the same statement will fail the same way
// until someone changes the schema or the configuration.
var permanentCodes = map[int32]bool{
	16:  true, // NO_SUCH_COLUMN_IN_TABLE
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	41:  true, // CANNOT_PARSE_DATETIME
	47:  true, // UNKNOWN_IDENTIFIER
	53:  true, // TYPE_MISMATCH
	60:  true, // UNKNOWN_TABLE
	62:  true, // SYNTAX_ERROR
	81:  true, // UNKNOWN_DATABASE
	192: true, // UNKNOWN_USER
	193: true, // WRONG_PASSWORD
	497: true, // ACCESS_DENIED
	516: true, // AUTHENTICATION_FAILED
}

// Retryable reports whether err may go away by itself: network failures,
// timeouts, a server that is restarting or overloaded (e.g. too many parts).
// Schema, syntax and authentication errors are not retryable.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return !permanentCodes[ex.Code]
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	// Unknown client-side errors (driver pool, bad connection): retrying
	// is the safer default for a sink that must not drop data.
	return true
}
