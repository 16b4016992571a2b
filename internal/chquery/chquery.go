// Package chquery reads the analytics queries documented in docs/queries.md
// and README.md: every ```sql block, named by the heading above it, and the
// statements of a block, named by their "--" comments. Its test runs each one
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

// Statements splits q.SQL into its statements, each ended by a ";" at the
// end of a line (the last one may omit it), in order. A statement's Title is
// its leading "--" comment lines (q.Title when it has none); its SQL holds
// neither those lines nor the ";". Blank statements are left out.
func Statements(q Query) []Query {
	var (
		out     []Query
		comment []string
		body    strings.Builder
	)
	flush := func() {
		if sql := strings.TrimSpace(body.String()); sql != "" {
			title := q.Title
			if len(comment) > 0 {
				title = strings.Join(comment, " ")
			}
			out = append(out, Query{Title: title, SQL: sql})
		}
		comment = nil
		body.Reset()
	}
	for _, line := range strings.Split(q.SQL, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case body.Len() == 0 && strings.HasPrefix(trimmed, "--"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(trimmed, "--")))
		case strings.HasSuffix(trimmed, ";"):
			body.WriteString(strings.TrimSuffix(strings.TrimRight(line, " \t"), ";"))
			flush()
		default:
			if body.Len() > 0 || trimmed != "" {
				body.WriteString(line)
				body.WriteByte('\n')
			}
		}
	}
	flush()
	return out
}
