package config

// Components holds each part's own configuration section. Each part owns its
// Config type, defaults and Validate; this file only composes them.
type Components struct{}

func defaultComponents() Components { return Components{} }

func (c *Components) validate(siteIDs map[string]bool) []error { return nil }
