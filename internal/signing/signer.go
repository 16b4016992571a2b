package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"sync"
	"time"
)

// Signer signs with one key like Sign, but keeps its HMAC state: each
// signature resets a pooled HMAC (keyed once) instead of keying a new one,
// and writes into the caller's buffer. Safe for concurrent use.
type Signer struct {
	key  Key
	pool sync.Pool // *macState
}

// macState is a keyed HMAC and a scratch buffer for the signed prefix and
// the digest.
type macState struct {
	mac hash.Hash
	buf []byte
}

// NewSigner returns a Signer for key (a copy of key is kept).
func NewSigner(key Key) *Signer {
	s := &Signer{key: append(Key(nil), key...)}
	s.pool.New = func() any {
		return &macState{mac: hmac.New(sha256.New, s.key), buf: make([]byte, 0, 128)}
	}
	return s
}

// AppendSign appends "v1,<base64 HMAC-SHA256(key, id.ts.body)>" to dst: the
// same value as Sign.
func (s *Signer) AppendSign(dst []byte, id string, ts time.Time, body []byte) []byte {
	st := s.pool.Get().(*macState)
	st.mac.Reset()
	b := append(st.buf[:0], id...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts.Unix(), 10)
	b = append(b, '.')
	st.mac.Write(b)
	st.mac.Write(body)
	sum := st.mac.Sum(b[:0])
	dst = append(dst, "v1,"...)
	dst = base64.StdEncoding.AppendEncode(dst, sum)
	st.buf = sum[:0]
	s.pool.Put(st)
	return dst
}

// AppendSignatures appends the webhook-signature header value for signers
// (see Signatures) to dst. Nil signers are skipped.
func AppendSignatures(dst []byte, id string, ts time.Time, body []byte, signers ...*Signer) []byte {
	n := len(dst)
	for _, s := range signers {
		if s == nil || len(s.key) == 0 {
			continue
		}
		if len(dst) > n {
			dst = append(dst, ' ')
		}
		dst = s.AppendSign(dst, id, ts, body)
	}
	return dst
}
