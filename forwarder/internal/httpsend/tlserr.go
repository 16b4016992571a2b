package httpsend

import (
	"fmt"
	"strings"

	"github.com/popinbridge/bridge/internal/retry"
)

// clientCertAlerts are the texts crypto/tls gives the alerts a server sends
// about the client's certificate (RFC 8446 §6.2: bad_certificate,
// unsupported_certificate, certificate_revoked, certificate_expired,
// certificate_unknown, unknown_ca, certificate_required). Over TCP the alert
// reaches the caller only as text ("remote error: tls: …").
var clientCertAlerts = []string{
	"bad certificate", "unsupported certificate", "revoked certificate", "expired certificate",
	"unknown certificate", "unknown certificate authority", "certificate required",
}

// certRefused returns a permanent error when the receiver refused the
// client certificate, or the absence of one (mutual TLS): no retry sends
// another; nil otherwise. A server certificate this client does not trust
// stays retryable, as before mutual TLS.
func certRefused(err error) error {
	msg := err.Error()
	i := strings.Index(msg, "remote error: tls: ")
	if i < 0 {
		return nil
	}
	alert := msg[i+len("remote error: tls: "):]
	for _, a := range clientCertAlerts {
		if alert == a {
			return retry.Permanent(fmt.Errorf("tls: the receiver refused the client certificate (%w); check the endpoint's tls.cert_pem and tls.key", err))
		}
	}
	return nil
}
