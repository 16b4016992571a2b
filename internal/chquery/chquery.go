// Package chquery reads the analytics queries documented in docs/queries.md:
// every ```sql block, named by the heading above it. Its test runs each one
// against a real ClickHouse on seeded data, so the documentation cannot
// drift from what works on 18.16.
package chquery

import (
	"bufio"
	"bytes"
	"strings"
)

// Query is one documented SQL statement.
type Query struct {
	Title string // text of the nearest heading above the block
	SQL   string
}

// Parse returns the ```sql blocks of a Markdown document, in order.
func Parse(markdown []byte) []Query {
	var (
		out   []Query
		title string
		in    bool
		buf   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(markdown))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case in && strings.HasPrefix(trimmed, "```"):
			out = append(out, Query{Title: title, SQL: strings.TrimSpace(buf.String())})
			buf.Reset()
			in = false
		case in:
			buf.WriteString(line)
			buf.WriteByte('\n')
		case strings.HasPrefix(trimmed, "```sql"):
			in = true
		case strings.HasPrefix(trimmed, "#"):
			title = strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
		}
	}
	return out
}
