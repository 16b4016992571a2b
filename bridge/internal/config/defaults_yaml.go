package config

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// DefaultYAML renders every key with its default value: the configuration
// reference (`bridge check-config --print-defaults`, README).
func DefaultYAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(Default()); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
