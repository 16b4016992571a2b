package piinorm

import (
	"strings"
	"sync"
)

// memo remembers results of a pure, costly function of a string: at most
// 2*size entries, the older half forgotten when the newer fills, so memory
// stays bounded whatever the input. Safe for concurrent use.
type memo struct {
	size     int
	mu       sync.Mutex
	cur, old map[string]string
}

func newMemo(size int) *memo {
	return &memo{size: size, cur: make(map[string]string, size)}
}

// get returns f() for key, from memory when key was seen recently. key
// (and the value f computes from it) may share memory that changes after
// the call: the memo keeps copies.
func (m *memo) get(key string, f func() string) string {
	m.mu.Lock()
	v, ok := m.cur[key]
	if !ok {
		if v, ok = m.old[key]; ok {
			m.put(key, v)
		}
	}
	m.mu.Unlock()
	if ok {
		return v
	}
	v = f()
	m.mu.Lock()
	m.put(key, v)
	m.mu.Unlock()
	return v
}

// put stores key under m.mu.
func (m *memo) put(key, v string) {
	if len(m.cur) >= m.size {
		m.old, m.cur = m.cur, make(map[string]string, m.size)
	}
	m.cur[strings.Clone(key)] = strings.Clone(v) // neither may alias memory the caller reuses
}
