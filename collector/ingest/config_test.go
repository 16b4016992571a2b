package ingest

import (
	"net/http"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := NewDefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cfg := NewDefaultConfig()
	cfg.MaxKeys = 0
	cfg.MaxJSONDepth = 2
	cfg.MaxEventBytes = cfg.MaxBatchBytes + 1
	cfg.RateLimit.PerIPBurst = 10
	cfg.WebSocket.PongWait = cfg.WebSocket.PingInterval
	cfg.WebSocket.MaxInFlight = -1
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"max_keys", "max_json_depth", "max_event_bytes", "rate_limit.per_ip_burst",
		"websocket.pong_wait", "websocket.max_in_flight"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestServerTimeoutsApply(t *testing.T) {
	var s http.Server
	ServerTimeouts().Apply(&s)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Fatal("timeouts not applied")
	}
}

func TestNewRequiresSitesAndLog(t *testing.T) {
	_, err := New(NewDefaultConfig(), Settings{})
	if err == nil || !strings.Contains(err.Error(), "settings.Sites") || !strings.Contains(err.Error(), "settings.Log") {
		t.Fatalf("err %v", err)
	}
}
