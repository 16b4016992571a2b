package deliverylog

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// severingProxy forwards TCP connections to target. sever cuts every
// current connection on the server's side only: the client's socket stays
// open and quiet (it passes a liveness check) until the client sends,
// which closes it — a server that went away just after the check.
type severingProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	pairs  []*proxyPair
}

type proxyPair struct {
	client, server net.Conn
	severed        atomic.Bool
}

func startProxy(t *testing.T, target string) *severingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &severingProxy{ln: ln, target: target}
	t.Cleanup(p.close)
	go p.accept()
	return p
}

func (p *severingProxy) addr() string { return p.ln.Addr().String() }

func (p *severingProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pr := &proxyPair{client: c, server: s}
		p.mu.Lock()
		p.pairs = append(p.pairs, pr)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); c.Close(); s.Close() }()
		go func() {
			_, _ = io.Copy(c, s)
			if !pr.severed.Load() {
				c.Close()
			}
		}()
	}
}

func (p *severingProxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.pairs {
		pr.severed.Store(true)
		pr.server.Close()
	}
	p.pairs = nil
}

func (p *severingProxy) close() {
	p.ln.Close()
	p.sever()
}
