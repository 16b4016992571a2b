package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// load compiles the embedded schemas on first use. An error here means a
// broken schema file, which the package tests catch; it is never caused by
// input.
var load = sync.OnceValues(func() (*registry, error) { return build(files) })

// meta is the part of a schema file that goes into EventType.
type meta struct {
	ID          string            `json:"$id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Aliases     []string          `json:"x-aliases"`
	Proposal    bool              `json:"x-proposal"`
	Examples    []json.RawMessage `json:"examples"`
}

func build(fsys fs.FS) (*registry, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	reg := &registry{byKey: make(map[key]*EventType)}
	var errs []error

	add := func(file string) (*jsonschema.Schema, *meta, []byte, error) {
		raw, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, nil, nil, err
		}
		var m meta
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		if want := baseURL + file; m.ID != want {
			return nil, nil, nil, fmt.Errorf("%s: $id is %q, want %q", file, m.ID, want)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		if err := c.AddResource(m.ID, doc); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		sch, err := c.Compile(m.ID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		return sch, &m, raw, nil
	}

	for _, g := range groups {
		entries, err := fs.ReadDir(fsys, g.dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if name := strings.TrimSuffix(e.Name(), ".json"); !slices.Contains(g.order, name) {
				errs = append(errs, fmt.Errorf("%s/%s: not listed in the catalog order", g.dir, e.Name()))
			}
		}
		for _, name := range g.order {
			sch, m, raw, err := add(path.Join(g.dir, name+".json"))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(m.Examples) == 0 {
				errs = append(errs, fmt.Errorf("%s/%s.json: no examples", g.dir, name))
				continue
			}
			relevant := relevantKeys(raw)
			t := &EventType{
				Name: name, Source: g.source, Aliases: m.Aliases,
				Title: m.Title, Description: m.Description, Proposed: m.Proposal,
				Sample: m.Examples[0], Schema: raw, compiled: sch,
				relevant: relevant, shape: shapeOf(raw, relevant),
			}
			reg.types = append(reg.types, t)
			for _, n := range append([]string{name}, m.Aliases...) {
				k := key{g.source, n}
				if _, dup := reg.byKey[k]; dup {
					errs = append(errs, fmt.Errorf("%s/%s.json: name %q defined twice", g.dir, name, n))
				}
				reg.byKey[k] = t
			}
		}
	}
	sch, _, _, err := add("batch.json")
	if err != nil {
		errs = append(errs, err)
	}
	reg.batch = sch
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("schemas: embedded schemas are broken: %w", err)
	}
	return reg, nil
}
