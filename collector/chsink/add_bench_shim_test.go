package chsink

import (
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
)

func addBench(r *rows, e *event.Event) { r.add(e, site.PIIHash, "IN", nil) }
