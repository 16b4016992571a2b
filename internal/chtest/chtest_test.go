package chtest

import (
	"context"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func TestSharedAnswersAndRestarts(t *testing.T) {
	s := New(t)
	ctx := context.Background()
	v, err := s.Query(ctx, "SELECT 1+1")
	if err != nil || v != "2" {
		t.Fatalf("query = %q, %v; want 2", v, err)
	}
	s.Stop()
	if _, err := s.Query(ctx, "SELECT 1"); err == nil {
		t.Fatal("query succeeded on a stopped server")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Query(ctx, "SELECT 3"); err != nil || v != "3" {
		t.Fatalf("after restart query = %q, %v", v, err)
	}
}
