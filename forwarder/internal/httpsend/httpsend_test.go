package httpsend

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// errReader returns its bytes, then err.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadLimited(t *testing.T) {
	big := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name          string
		body          string
		length, limit int64
		err           error
		want          string
	}{
		{"empty known", "", 0, 100, nil, ""},
		{"empty unknown", "", -1, 100, nil, ""},
		{"known", "hello", 5, 100, nil, "hello"},
		{"known at limit", "hello", 5, 5, nil, "hello"},
		{"known over limit", "hello world", 11, 5, nil, "hello"},
		{"unknown", big, -1, 65536, nil, big},
		{"unknown over limit", big, -1, 1000, nil, big[:1000]},
		{"read error", "abc", -1, 100, errors.New("reset"), "abc"},
		{"no limit", "abc", 3, 0, nil, ""},
	} {
		got := readLimited(&errReader{r: bytes.NewReader([]byte(tc.body)), err: cmpErr(tc.err)}, tc.length, tc.limit)
		if string(got) != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
		if tc.want == "" && got != nil {
			t.Errorf("%s: want nil", tc.name)
		}
	}
}

func cmpErr(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}
