package slack

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits of Slack's Block Kit that a message keeps within.
const (
	maxHeader     = 150 // header block text
	maxFields     = 10  // fields of a section block
	maxValue      = 300 // our bound on one shown value (Slack allows 2000 per field)
	maxContextURL = 500
)

// Message is the body of an incoming-webhook request: text is the
// notification's fallback, blocks what the channel shows.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit layout block (header, section or context).
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object (plain_text or mrkdwn).
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// render builds the message of an event's facts. Every value the visitor
// or Popin supplied is escaped for mrkdwn, so it can neither mention
// (<!channel>) nor link.
func render(f facts) Message {
	title := headline(f)
	var fields []Text
	add := func(label, value string) {
		if value != "" && len(fields) < maxFields {
			fields = append(fields, Text{"mrkdwn", "*" + label + "*\n" + value})
		}
	}
	l := f.lead
	add("Name", esc(l.Name))
	if l.Email != "" {
		add("E-mail", "<mailto:"+esc(l.Email)+"|"+esc(l.Email)+">")
	}
	add("Phone", esc(l.Phone))
	add("Outcome", esc(f.outcome))
	add("Duration", esc(f.duration))
	add("Rating", esc(f.rating))
	add("Scheduled", esc(f.when))
	add("Agent", esc(f.agent))
	add("Group", esc(f.group))
	add("Place", esc(strings.Trim(strings.Join([]string{l.City, l.Country}, ", "), ", ")))
	add("Comment", esc(f.comment))
	blocks := []Block{{Type: "header", Text: &Text{"plain_text", clip(title, maxHeader)}}}
	if len(fields) > 0 {
		blocks = append(blocks, Block{Type: "section", Fields: fields})
	}
	var ctx []Text
	if f.page != "" {
		ctx = append(ctx, Text{"mrkdwn", "Page: " + link(f.page, f.title)})
	}
	if len(f.utm) > 0 {
		parts := make([]string, len(f.utm))
		for i, kv := range f.utm {
			parts[i] = esc(kv[0]) + "=" + esc(kv[1])
		}
		ctx = append(ctx, Text{"mrkdwn", "Campaign: " + clip(strings.Join(parts, " · "), maxValue)})
	}
	meta := "Site " + esc(f.siteID) + " · " + esc(f.eventName)
	if f.occurred != "" {
		meta += " · " + f.occurred
	}
	ctx = append(ctx, Text{"mrkdwn", meta})
	blocks = append(blocks, Block{Type: "context", Elements: ctx})
	return Message{Text: clip(title, maxHeader), Blocks: blocks}
}

// headline is the message's title: what happened and to whom.
func headline(f facts) string {
	who := f.lead.Name
	if who == "" {
		who = f.lead.Email
	}
	var t string
	switch f.kind {
	case kindLead:
		t = "New lead"
	case kindCall:
		t = "Call " + f.outcome
	case kindRating:
		t = "Call rated"
		if f.rating != "" {
			t += " " + f.rating
		}
	case kindSchedule:
		t = "Call scheduled"
	default:
		t = "Event " + f.eventName
	}
	if who != "" {
		t += ": " + who
	}
	return t
}

// esc escapes what mrkdwn reads as markup (&, <, >) in a value of at most
// maxValue characters.
func esc(s string) string {
	s = clip(s, maxValue)
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// link is a mrkdwn link to an http(s) page labelled with its title (or
// the URL); anything else is shown as text.
func link(raw, title string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxContextURL {
		return esc(raw)
	}
	label := title
	if label == "" {
		label = raw
	}
	target := strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", "&", "&amp;").Replace(u.String())
	return "<" + target + "|" + esc(label) + ">"
}

// clip cuts s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// body is the JSON of a message, as sent (without HTML escaping: Slack
// reads the entities esc wrote, not \u003c).
func body(m Message) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
