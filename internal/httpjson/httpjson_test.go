package httpjson

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	type field struct {
		URL string `json:"url"`
	}
	marshalled := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	cases := []struct {
		name       string
		write      func(http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{"plain keeps <>&", func(w http.ResponseWriter) { WriteJSON(w, http.StatusCreated, field{"https://x/?a=1&b=<2>"}) },
			http.StatusCreated, `{"url":"https://x/?a=1&b=<2>"}` + "\n"},
		{"escaped matches json.Marshal", func(w http.ResponseWriter) { WriteJSONEscaped(w, http.StatusOK, field{"a&<b>"}) },
			http.StatusOK, marshalled(field{"a&<b>"})},
		{"error form", func(w http.ResponseWriter) { WriteError(w, http.StatusNotFound, "not_found", "no such id") },
			http.StatusNotFound, `{"error":{"code":"not_found","message":"no such id"}}` + "\n"},
		{"error form with field", func(w http.ResponseWriter) {
			WriteJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error{"invalid", "bad url", "url"}})
		}, http.StatusUnprocessableEntity, `{"error":{"code":"invalid","message":"bad url","field":"url"}}` + "\n"},
		{"unencodable is a clean 500", func(w http.ResponseWriter) { WriteJSON(w, http.StatusOK, func() {}) },
			http.StatusInternalServerError, `{"error":{"code":"unavailable","message":"encoding response"}}` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.write(rec)
			if rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, c.wantStatus)
			}
			if got := rec.Body.String(); got != c.wantBody {
				t.Errorf("body %q, want %q", got, c.wantBody)
			}
			for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
