package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeOpts make jsontext accept exactly what encoding/json accepts:
// repeated names (the last wins) and ill-formed UTF-8 or lone surrogate
// escapes in strings (each bad byte or escape becomes U+FFFD).
var decodeOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// decoders recycles jsontext decoders; a decoder reading a bytes.Buffer
// parses the caller's bytes in place, without copying them.
var decoders = sync.Pool{New: func() any { return jsontext.NewDecoder(bytes.NewBuffer(nil)) }}

// decode parses one JSON value into the shapes encoding/json produces with
// UseNumber (map[string]any, []any, string, json.Number, bool, nil), which
// is what the validator expects, and refuses trailing data. It uses
// jsontext, several times faster than encoding/json's reflection-based
// decoder; on invalid input it falls back to encoding/json, so errors read
// exactly as before.
func decode(raw []byte) (any, error) {
	dec := decoders.Get().(*jsontext.Decoder)
	dec.Reset(bytes.NewBuffer(raw), decodeOpts...)
	v, err := DecodeValue(dec)
	if err == nil && dec.PeekKind() != 0 {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		if _, perr := dec.ReadToken(); perr != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	dec.Reset(bytes.NewBuffer(nil)) // do not keep raw alive in the pool
	decoders.Put(dec)
	if err != nil {
		return decodeStd(raw)
	}
	return v, nil
}

// decodeStd is decode with encoding/json; it gives the error messages.
func decodeStd(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// DecodeValue reads the next JSON value from dec into the shapes
// encoding/json produces with UseNumber: map[string]any (a repeated name
// keeps its last value), []any (never nil), string, json.Number (the
// literal as written), bool or nil. These are the shapes ValidateValue
// takes. dec should be configured with AllowDuplicateNames(true) and
// AllowInvalidUTF8(true) to accept what encoding/json accepts.
func DecodeValue(dec *jsontext.Decoder) (any, error) {
	if dec.PeekKind() == '"' {
		return ReadString(dec)
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		m := make(map[string]any)
		for dec.PeekKind() != '}' {
			k, err := ReadString(dec)
			if err != nil {
				return nil, err
			}
			v, err := DecodeValue(dec)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		a := make([]any, 0, 4)
		for dec.PeekKind() != ']' {
			v, err := DecodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return a, nil
	case '0':
		return json.Number(tok.String()), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	}
	return nil, errors.New("invalid JSON token")
}

// ReadString reads the next string (or object name) from dec, unescaped as
// encoding/json does. It scans the text once (Token.String scans it again).
func ReadString(dec *jsontext.Decoder) (string, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	if len(v) < 2 || v[0] != '"' {
		return "", errors.New("want a JSON string")
	}
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return string(v[1 : len(v)-1]), nil
	}
	// A lone surrogate escape becomes U+FFFD, as in encoding/json; the error
	// saying so is not one here.
	b, _ := jsontext.AppendUnquote(nil, v)
	return string(b), nil
}
