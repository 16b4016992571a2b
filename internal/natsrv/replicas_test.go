package natsrv

import "testing"

func TestClusterSize(t *testing.T) {
	tests := []struct {
		name string
		urls []string
		want int
	}{
		{"none", nil, 0},
		{"one", []string{"nats://127.0.0.1:4222"}, 1},
		{"configured and discovered twice", []string{"nats://127.0.0.1:4222", "127.0.0.1:4222", "nats://localhost:4222"}, 1},
		{"default port", []string{"nats://a", "a:4222", "tls://a:4223"}, 2},
		{"three", []string{"nats://10.0.0.1:4222", "nats://10.0.0.2:4222", "nats://10.0.0.3:4222"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clusterSize(tt.urls); got != tt.want {
				t.Fatalf("clusterSize(%v) = %d, want %d", tt.urls, got, tt.want)
			}
		})
	}
}
