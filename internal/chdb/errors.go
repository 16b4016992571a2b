package chdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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

// ErrTLS wraps a failed TLS handshake: the server's certificate was not
// accepted, the address is not a TLS port, or the server refused the
// client. Retrying will not help until clickhouse.tls or clickhouse.addr
// changes.
var ErrTLS = errors.New("TLS handshake failed")

// loginCodes are the server's answers to a refused login.
var loginCodes = map[int32]bool{192: true, 193: true, 516: true}

// pingError names the likely cause of a failed first contact: a TLS
// problem (wrapping ErrTLS), refused credentials, or an unreachable server
// (ErrUnavailable).
func pingError(cfg Config, err error) error {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		op        *net.OpError
		ex        *clickhouse.Exception
	)
	switch {
	case errors.As(err, &ex) && loginCodes[ex.Code]:
		return fmt.Errorf("clickhouse %s: login as %q refused (clickhouse.username, clickhouse.password): %w", cfg.Addr, cfg.Username, err)
	case errors.As(err, &unknownCA):
		return fmt.Errorf("clickhouse %s: %w: the server's certificate is not signed by a trusted CA (clickhouse.tls.ca_file): %w", cfg.Addr, ErrTLS, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("clickhouse %s: %w: the server's certificate does not carry the expected name (clickhouse.tls.server_name): %w", cfg.Addr, ErrTLS, err)
	case errors.As(err, &invalid), errors.As(err, &verify):
		return fmt.Errorf("clickhouse %s: %w: the server's certificate was not accepted: %w", cfg.Addr, ErrTLS, err)
	case errors.As(err, &header):
		return fmt.Errorf("clickhouse %s: %w: the server did not answer with TLS; is clickhouse.addr the secure native port (tcp_port_secure, usually 9440)?: %w", cfg.Addr, ErrTLS, err)
	case cfg.TLS.Enabled && (errors.As(err, &op) && op.Op == "remote error" ||
		cfg.TLS.CertFile == "" && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF))):
		// With TLS 1.3 a server refusing the client's (missing) certificate
		// may just close the connection after the handshake: the client
		// sees a reset or EOF on its first write or read.
		return fmt.Errorf("clickhouse %s: %w: the server refused the handshake (a client certificate, clickhouse.tls.cert_file/key_file, may be required): %w", cfg.Addr, ErrTLS, err)
	case !cfg.TLS.Enabled && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return fmt.Errorf("clickhouse %s: ping: %w: %w (if this is the secure native port, set clickhouse.tls.enabled)", cfg.Addr, ErrUnavailable, err)
	}
	return fmt.Errorf("clickhouse %s: ping: %w: %w", cfg.Addr, ErrUnavailable, err)
}
