package endpoint

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Destinations for sales teams: a Slack incoming webhook (type slack) and
// HubSpot contacts (type hubspot). Their exporters are
// forwarder/exporter/slack and forwarder/exporter/hubspot.

// DefaultHubSpotURL is the api_url of hubspot endpoints.
const DefaultHubSpotURL = "https://api.hubapi.com"

// MaxPropertyMap bounds property_map.
const MaxPropertyMap = 50

var (
	// propertySource is what property_map may read: a utm_* member of
	// ctx.utm, a page field, the event's name or site, or a member of data
	// (or of data.properties in Popin server webhooks).
	propertySource = regexp.MustCompile(`^(utm_[a-z0-9_]{1,64}|page_url|page_title|referrer|event_name|site|data\.[A-Za-z0-9_]{1,64})$`)
	// hubSpotProperty is a HubSpot internal property name.
	hubSpotProperty = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)
)

// SecretURL reports whether the endpoint's url is itself a credential (a
// Slack incoming webhook URL): the control plane seals it at rest and
// shows it as "REDACTED"; logs, delivery rows and notices carry PublicURL.
func (e *Endpoint) SecretURL() bool { return e.Type == TypeSlack }

// PublicURL is the url as logs and notices may show it: the URL itself, or
// for a secret URL only its scheme and host ("https://hooks.slack.com/REDACTED").
func (e *Endpoint) PublicURL() string {
	if !e.SecretURL() || e.URL == "" {
		return e.URL
	}
	return RedactURL(e.URL)
}

// RedactURL keeps the scheme and host of a URL whose path is a credential.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "REDACTED"
	}
	return u.Scheme + "://" + u.Host + "/REDACTED"
}

func (x *Endpoint) validateSlack(c Checks) []error {
	var errs []error
	// checkURL's messages never repeat the URL: it is a credential.
	if err := checkURL(x.URL, c.Guard, false); err != nil {
		errs = append(errs, fieldErr("url", "the Slack incoming webhook URL: %v", err))
	}
	return append(errs, x.unusedFields(TypeSlack, "auth", "secret", "token", "access_token", "template", "headers", "api_key_header",
		"pixel_id", "graph_url", "test_event_code", "event_map", "default_region", "limited_data_use", "api_url")...)
}

func (x *Endpoint) validateHubSpot(c Checks) []error {
	var errs []error
	if x.AccessToken == "" || len(x.AccessToken) > maxToken || strings.ContainsAny(x.AccessToken, " \t\r\n") || !validHeaderValue(x.AccessToken) {
		errs = append(errs, fieldErr("access_token", "required: the private app's access token, without spaces, at most %d characters", maxToken))
	}
	if err := checkURL(x.APIURL, c.Guard, false); err != nil {
		errs = append(errs, fieldErr("api_url", "%v", err))
	}
	if r := x.DefaultRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r || strings.Trim(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		errs = append(errs, fieldErr("default_region", "%q is not an ISO 3166 alpha-2 code like \"IN\"", r))
	}
	if len(x.PropertyMap) > MaxPropertyMap {
		errs = append(errs, fieldErr("property_map", "at most %d entries", MaxPropertyMap))
	}
	keys := make([]string, 0, len(x.PropertyMap))
	for k := range x.PropertyMap {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	targets := map[string]string{}
	for _, k := range keys {
		v := x.PropertyMap[k]
		switch {
		case !propertySource.MatchString(k):
			errs = append(errs, fieldErr("property_map", "%q is not utm_<name>, page_url, page_title, referrer, event_name, site or data.<member>", k))
		case !hubSpotProperty.MatchString(v):
			errs = append(errs, fieldErr("property_map", "%q: %q is not a HubSpot internal property name (lower-case letters, digits, '_')", k, v))
		case v == "email":
			errs = append(errs, fieldErr("property_map", "%q: email is the contact's identity and is always the captured e-mail", k))
		case targets[v] != "":
			errs = append(errs, fieldErr("property_map", "%q and %q both set %q", targets[v], k, v))
		default:
			targets[v] = k
		}
	}
	return append(errs, x.unusedFields(TypeHubSpot, "url", "auth", "secret", "token", "template", "headers", "api_key_header",
		"pixel_id", "graph_url", "test_event_code", "event_map", "limited_data_use")...)
}

// validatePropertyMap refuses property_map on types other than hubspot.
func (x *Endpoint) validatePropertyMap() []error {
	if len(x.PropertyMap) > 0 && x.Type != TypeHubSpot {
		return []error{fieldErr("property_map", "only for type hubspot")}
	}
	return nil
}

// unusedFields reports each named field that is set although type typ
// does not use it.
func (x *Endpoint) unusedFields(typ string, names ...string) []error {
	set := map[string]bool{
		"url": x.URL != "", "auth": x.Auth != "", "secret": x.Secret != "" || len(x.PreviousSecrets) > 0, "token": x.Token != "",
		"access_token": x.AccessToken != "", "template": x.Template != "", "headers": len(x.Headers) > 0 || len(x.PlainHeaders) > 0,
		"api_key_header": x.APIKeyHeader != "", "pixel_id": x.PixelID != "", "graph_url": x.GraphURL != "",
		"test_event_code": x.TestEventCode != "", "event_map": len(x.EventMap) > 0, "default_region": x.DefaultRegion != "",
		"limited_data_use": x.LimitedDataUse != nil, "api_url": x.APIURL != "",
	}
	var errs []error
	for _, n := range names {
		if set[n] {
			errs = append(errs, fieldErr(n, "not used by type %s", typ))
		}
	}
	return errs
}
