package ingest

import (
	"bytes"
	"encoding/json"
)

// topLevelValue returns the raw value of key in the JSON object obj, the
// last one when the key repeats (as encoding/json decides), or nil. obj must
// be valid JSON (ParseBatch has validated the whole frame); it is walked once
// without decoding, which is much cheaper than json.Unmarshal for reading one
// field of a large payload.
func topLevelValue(obj []byte, key string) []byte {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	var found []byte
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return found // '}' or end
		}
		kEnd := stringEnd(obj, i)
		k := obj[i:kEnd]
		i = skipWS(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return found
		}
		i = skipWS(obj, i+1)
		vEnd := valueEnd(obj, i)
		if keyEquals(k, key) {
			found = obj[i:vEnd]
		}
		i = skipWS(obj, vEnd)
		if i >= len(obj) || obj[i] != ',' {
			return found
		}
		i++
	}
}

// keyEquals compares a quoted JSON key with key, decoding escapes only when
// there are any. Like encoding/json, an exact match is not required: case is
// folded (json matches struct fields case-insensitively).
func keyEquals(quoted []byte, key string) bool {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return bytes.EqualFold(inner, []byte(key))
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return false
	}
	return bytes.EqualFold([]byte(s), []byte(key))
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j
	}
}
