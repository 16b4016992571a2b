package testkit_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

// part keeps the contract: a stop channel closed once.
type part struct {
	mu      sync.Mutex
	started bool
	stop    chan struct{}
}

func (p *part) Start(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("already started")
	}
	p.started = true
	return nil
}

func (p *part) Shutdown(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	return nil
}

func TestCheckShutdown(t *testing.T) {
	testkit.CheckShutdown(t, func(*testing.T) testkit.Part { return &part{stop: make(chan struct{})} })
}
