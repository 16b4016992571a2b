package rules

import (
	"strings"
	"unicode"
)

// Redacted stands for whatever an evaluation error's message said that may
// have come from the event.
const Redacted = "[redacted]"

// redact returns msg keeping only what cannot have come from the event:
// expr's runtime errors quote their operands ("invalid operation:
// int(ann@example.com)"), also after the rule changed them (lower, split,
// concatenation), and an evaluation error travels to the delivery log, the
// dead letters, the operational events and the process log, none of which
// may hold personal data. So the message is cut into words at white space
// and ()[]{},:;"'` and a word is kept only when it is
//   - one of the words expr, Go's runtime and the standard library use in
//     their errors (errorWords), or
//   - made of identifiers of the rule's own source (a field path such as
//     data.email), or
//   - a number of at most three digits (argument counts, small indexes);
//
// every other word becomes Redacted, a run of them one Redacted. It fails
// closed: a message worded in a way not foreseen loses words, never leaks.
func redact(msg, source string) string {
	idents := identifiers(source)
	var b strings.Builder
	word := -1         // start of the current word
	lastRedacted := -1 // b.Len() just after the last Redacted written
	flush := func(end int) {
		if word < 0 {
			return
		}
		w := msg[word:end]
		word = -1
		if keepWord(w, idents) {
			b.WriteString(w)
			return
		}
		if lastRedacted >= 0 && strings.TrimSpace(b.String()[lastRedacted:]) == "" {
			s := b.String()[:lastRedacted] // join to the previous Redacted over white space
			b.Reset()
			b.WriteString(s)
		} else {
			b.WriteString(Redacted)
		}
		lastRedacted = b.Len()
	}
	for i, r := range msg {
		if unicode.IsSpace(r) || strings.ContainsRune("()[]{},:;\"'`", r) {
			flush(i)
			b.WriteRune(r)
			continue
		}
		if word < 0 {
			word = i
		}
	}
	flush(len(msg))
	return b.String()
}

// keepWord reports whether w cannot be a value of the event (see redact).
func keepWord(w string, idents map[string]bool) bool {
	if errorWords[w] {
		return true
	}
	if len(w) <= 3 && strings.Trim(w, "0123456789") == "" {
		return true
	}
	for part := range strings.SplitSeq(w, ".") {
		if !idents[part] {
			return false
		}
	}
	return true
}

// identifiers returns the identifiers of a rule's source (field names,
// functions, variables): not its string or number literals.
func identifiers(src string) map[string]bool {
	ids := map[string]bool{}
	inString, quote := false, rune(0)
	start := -1
	for i, r := range src + " " {
		switch {
		case inString:
			if r == quote {
				inString = false
			}
			continue
		case r == '"' || r == '\'' || r == '`':
			inString, quote = true, r
		case r == '_' || unicode.IsLetter(r) || (start >= 0 && unicode.IsDigit(r)):
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			ids[src[start:i]] = true
			start = -1
		}
	}
	return ids
}

// errorWords are the words of the errors a rule's evaluation can end in:
// expr's (vm, builtin), Go's runtime (conversions, indexes, nil maps,
// division) and the standard library functions expr calls (time, strconv,
// encoding/json), with the Go type names they print.
var errorWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`
		a an and are argument arguments array as at be beginning bitnot budget by call
		cannot capacity character conversion count dereference depth desc divide element
		elements end error evaluation exceeded expected failed fetch field first flatten float
		for from function get got in index inner input integer interface invalid is json keys
		last least length looking memory method missing more most name negative nil no non
		not number of operation or order out pairs panic parse parsing pointer program range
		recursion reverse runtime shift slice sort string syntax take than the time to transform
		type uniq unit unknown unexpected use value values with zero asc or
		int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 float32 float64 bool map
		func struct chan byte rune duration date abs ceil floor len mean median round join
		repeat replace split splitAfter trim concat keys abs strconv ParseInt ParseFloat Atoi
		invalid syntax % * + - / < <= > >= == != !`) {
		m[w] = true
	}
	return m
}()
