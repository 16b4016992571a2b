package config

import (
	"strings"
	"testing"
)

func TestAdminListenValidates(t *testing.T) {
	cases := []struct {
		listen, admin, wantErr string
	}{
		{"127.0.0.1:8080", "", ""},
		{"127.0.0.1:8080", "127.0.0.1:9090", ""},
		{"127.0.0.1:0", "127.0.0.1:0", ""}, // two random ports
		{"127.0.0.1:8080", "127.0.0.1:8080", "admin_listen: \"127.0.0.1:8080\" is the same address as listen"},
		{"127.0.0.1:8080", "9090", "admin_listen: \"9090\""},
	}
	for _, tc := range cases {
		c := Default()
		c.Listen, c.AdminListen = tc.listen, tc.admin
		err := c.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("listen %q admin_listen %q: err = %v, want %q", tc.listen, tc.admin, err, tc.wantErr)
		}
	}
}
