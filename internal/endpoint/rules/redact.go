package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Redacted replaces an event's value in an evaluation error's message.
const Redacted = "[redacted]"

// Bounds of redact: values shorter than minRedacted bytes are left (they
// would mangle the message's own words and identify no one), and at most
// maxRedacted values are looked for.
const (
	minRedacted = 3
	maxRedacted = 4096
)

// redact returns msg without the event's values. expr's runtime errors
// quote their operands ("invalid operation: int(ann@example.com)"), and an
// evaluation error travels to the delivery log, the dead letters, the
// operational events and the process log, none of which may hold personal
// data: every string of env (data at any depth, ctx, the visitor ids) and
// every number of data, as written by %v, %q or strconv, is replaced by
// Redacted, the longest first.
func redact(msg string, env *Env) string {
	if env == nil || msg == "" {
		return msg
	}
	vals := make([]string, 0, 16)
	add := func(s string) {
		if len(s) >= minRedacted && len(vals) < maxRedacted {
			vals = append(vals, s)
			if q := strconv.Quote(s); q[1:len(q)-1] != s {
				vals = append(vals, q[1:len(q)-1])
			}
		}
	}
	add(env.UID)
	add(env.AID)
	add(env.SID)
	c := &env.Ctx
	for _, s := range []string{c.URL, c.Referrer, c.Title, c.FBP, c.FBC, c.IP, c.UserAgent} {
		add(s)
	}
	collect(c.UTM, add)
	collect(env.Data, add)
	slices.SortFunc(vals, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, v := range vals {
		msg = strings.ReplaceAll(msg, v, Redacted)
	}
	return msg
}

// collect calls add with every string and number under v.
func collect(v any, add func(string)) {
	switch x := v.(type) {
	case string:
		add(x)
	case float64:
		add(fmt.Sprint(x))
		add(strconv.FormatFloat(x, 'f', -1, 64))
	case map[string]any:
		for _, e := range x {
			collect(e, add)
		}
	case []any:
		for _, e := range x {
			collect(e, add)
		}
	}
}
