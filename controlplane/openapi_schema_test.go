package controlplane

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/site"
)

type schema struct {
	Type       any                `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
	Ref        string             `json:"$ref"`
}

func loadSchemas(t *testing.T) map[string]*schema {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

// jsonFields are the JSON names of v's fields (embedded structs flattened)
// and whether each is always written (no omitempty/omitzero).
func jsonFields(v reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range v.NumField() {
		f := v.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, always := range jsonFields(ft) {
				if _, shadowed := out[k]; !shadowed {
					out[k] = always
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")
	}
	return out
}

// neverWritten are Go fields a schema's type has but the API never writes
// (credentials, taken out of every read).
var neverWritten = map[string][]string{"Endpoint": {"access_token", "api_secret", "previous_secrets"}}

// TestOpenAPISchemasMatchGo: every response schema documents exactly the
// JSON fields of the Go type the API encodes, and marks required exactly
// those always written — so a generated client's optional fields are the
// ones that may really be missing.
func TestOpenAPISchemasMatchGo(t *testing.T) {
	schemas := loadSchemas(t)
	for name, v := range map[string]any{
		"Endpoint":  endpointView{},
		"Site":      siteView{},
		"Attempt":   Attempt{},
		"Delivery":  Delivery{},
		"Stats":     Stats{},
		"Flow":      Flow{},
		"EventType": eventTypeView{},
		"ReadToken": tokenView{},
		"Erasure":   erasure.Job{},
		"Funnel":    Funnel{},
		"Summary":   Summary{},
	} {
		t.Run(name, func(t *testing.T) {
			s := schemas[name]
			if s == nil {
				t.Fatalf("no schema %s", name)
			}
			fields := jsonFields(reflect.TypeOf(v))
			for _, f := range neverWritten[name] {
				delete(fields, f)
			}
			var undocumented, extra, wantRequired []string
			for f, always := range fields {
				if s.Properties[f] == nil {
					undocumented = append(undocumented, f)
				}
				if always {
					wantRequired = append(wantRequired, f)
				}
			}
			for p := range s.Properties {
				if _, ok := fields[p]; !ok {
					extra = append(extra, p)
				}
			}
			sort.Strings(undocumented)
			sort.Strings(extra)
			sort.Strings(wantRequired)
			got := slices.Sorted(slices.Values(s.Required))
			if len(undocumented)+len(extra) > 0 || !slices.Equal(got, wantRequired) {
				t.Errorf("undocumented %v; documented but not in Go %v; required %v, want %v", undocumented, extra, got, wantRequired)
			}
		})
	}
}

// enumOf returns the enum of a property path ("Endpoint.status",
// "Endpoint.consent[]").
func enumOf(t *testing.T, schemas map[string]*schema, path string) []string {
	t.Helper()
	name, prop, _ := strings.Cut(path, ".")
	s := schemas[name]
	for _, p := range strings.Split(prop, ".") {
		items := strings.HasSuffix(p, "[]")
		if s == nil || s.Properties[strings.TrimSuffix(p, "[]")] == nil {
			t.Fatalf("%s: no such property", path)
		}
		s = s.Properties[strings.TrimSuffix(p, "[]")]
		if items {
			s = s.Items
		}
	}
	if s == nil {
		t.Fatalf("%s: no schema", path)
	}
	var out []string
	for _, v := range s.Enum {
		b, _ := json.Marshal(v)
		out = append(out, strings.Trim(string(b), `"`))
	}
	sort.Strings(out)
	return out
}

var oneOfList = regexp.MustCompile(`is not one of ([a-z0-9_, ]+)`)

// validatorEnum is the list of values the validator names when it refuses
// a bad one ("… is not one of webhook, facebook_capi").
func validatorEnum(t *testing.T, field string, err error) []string {
	t.Helper()
	var fe *endpoint.FieldError
	msg := ""
	for _, e := range unjoin(err) {
		if errors.As(e, &fe) && fe.Field == field || strings.HasPrefix(e.Error(), field+":") {
			msg = e.Error()
		}
	}
	m := oneOfList.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("%s: no list of values in %v", field, err)
	}
	out := strings.Split(m[1], ", ")
	sort.Strings(out)
	return out
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestOpenAPIEnums: every enum the document states is the set of values Go
// accepts or writes: the validators' own lists for inputs, the constants
// for what the bridge writes.
func TestOpenAPIEnums(t *testing.T) {
	schemas := loadSchemas(t)
	bad := endpoint.Endpoint{ID: "x", Site: "s", Type: "bogus", Status: "bogus", Consent: []string{"bogus"}}
	badErr := bad.Validate(endpoint.Checks{})
	hook := endpoint.Endpoint{ID: "x", Site: "s", Type: endpoint.TypeWebhook, Auth: "bogus"}
	hookErr := hook.Validate(endpoint.Checks{})
	s := site.Site{ID: "s", WriteKey: "k", PII: "bogus", PIINames: "bogus", ConsentMode: "bogus", AnalyticsDenied: "bogus"}
	siteErr := s.Validate()
	sorted := func(v ...string) []string { sort.Strings(v); return v }
	cases := []struct {
		paths []string
		want  []string
	}{
		{[]string{"Endpoint.type", "EndpointInput.type"}, validatorEnum(t, "type", badErr)},
		{[]string{"Endpoint.status", "EndpointInput.status"}, validatorEnum(t, "status", badErr)},
		{[]string{"Endpoint.consent[]", "EndpointInput.consent[]"}, validatorEnum(t, "consent", badErr)},
		{[]string{"Endpoint.auth", "EndpointInput.auth"}, validatorEnum(t, "auth", hookErr)},
		{[]string{"Site.pii", "SiteInput.pii"}, validatorEnum(t, "pii", siteErr)},
		{[]string{"Site.consent_mode", "SiteInput.consent_mode"}, validatorEnum(t, "consent_mode", siteErr)},
		{[]string{"Site.pii_names", "SiteInput.pii_names"}, validatorEnum(t, "pii_names", siteErr)},
		{[]string{"Site.analytics_denied", "SiteInput.analytics_denied"}, validatorEnum(t, "analytics_denied", siteErr)},
		{[]string{"Endpoint.origin", "Site.origin"}, sorted(originAPI, originConfig)},
		{[]string{"Delivery.state", "Attempt.state"}, sorted(delivery.StateDelivered, delivery.StateRetrying, delivery.StateDead,
			delivery.StateDisabled, delivery.StateTest, delivery.StateSuppressed)},
	}
	if !slices.Equal(sorted(consent.Purposes...), cases[2].want) {
		t.Fatalf("consent purposes %v, validator %v", consent.Purposes, cases[2].want)
	}
	for _, c := range cases {
		for _, p := range c.paths {
			if got := enumOf(t, schemas, p); !slices.Equal(got, c.want) {
				t.Errorf("%s: enum %v, Go %v", p, got, c.want)
			}
		}
	}
}

// TestOpenAPIInputsMatchGo: request schemas document exactly the fields
// the API decodes (an unknown field is refused with 400).
func TestOpenAPIInputsMatchGo(t *testing.T) {
	schemas := loadSchemas(t)
	for name, v := range map[string]any{"EndpointInput": endpointInput{}, "SiteInput": site.Site{}} {
		var got, want []string
		for p := range schemas[name].Properties {
			got = append(got, p)
		}
		for f := range jsonFields(reflect.TypeOf(v)) {
			want = append(want, f)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: documented %v, decoded %v", name, got, want)
		}
	}
}
