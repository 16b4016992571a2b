package exporter

import "sort"

// SampleOf is the Sampler answer of an exporter driven by an event map
// (event name → the destination's name; "" drops it): popin_captured when
// mapped, else the first mapped name, else popin_captured.
func SampleOf(eventMap map[string]string) string {
	if eventMap["popin_captured"] != "" {
		return "popin_captured"
	}
	names := make([]string, 0, len(eventMap))
	for k, v := range eventMap {
		if v != "" {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return "popin_captured"
	}
	sort.Strings(names)
	return names[0]
}
