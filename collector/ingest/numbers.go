package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// Numbers in event data must fit a float64 (IEEE 754 binary64): a literal
// such as 1e999999 is valid JSON but strict receivers refuse it (or read
// it as infinity), so an event holding one is rejected (invalid_event,
// naming the field) rather than stored and forwarded verbatim. Literals
// that merely lose precision (12345678901234567890) or underflow to zero
// (1e-400) are kept as written.

// checkNumbers returns an error naming the first number in the JSON value
// data (valid JSON) whose magnitude exceeds the largest float64, as
// "data/<JSON pointer>: …". data is walked byte by byte; only when such a
// number exists is it walked again to name its place.
func checkNumbers(data []byte) error {
	if !hasHugeNumber(data) {
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontextOpts...)
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil // unreachable on valid JSON
		}
		if tok.Kind() == '0' && isHuge(tok.String()) {
			lit := tok.String()
			if len(lit) > 32 {
				lit = lit[:32] + "…"
			}
			return fmt.Errorf("data%s: number %s is beyond the range of a 64-bit float", dec.StackPointer(), lit)
		}
	}
}

// hasHugeNumber reports whether data holds a number literal outside strings
// that isHuge. Only literals with an exponent or over maxNumberBytes can be.
func hasHugeNumber(data []byte) bool {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			i = stringEnd(data, i) - 1
		case c == '-' || c >= '0' && c <= '9':
			j, exp := i, false
			for ; j < len(data); j++ {
				c := data[j]
				if c == 'e' || c == 'E' {
					exp = true
				} else if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
					break
				}
			}
			if (exp || j-i > maxNumberBytes) && isHuge(string(data[i:j])) {
				return true
			}
			i = j - 1
		}
	}
	return false
}

// maxNumberBytes is the longest number literal without an exponent that
// may be within a float64's range.
const maxNumberBytes = 308

// isHuge reports whether the number literal lit overflows a float64.
func isHuge(lit string) bool {
	_, err := strconv.ParseFloat(lit, 64)
	return errors.Is(err, strconv.ErrRange)
}
