package app

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/popinbridge/bridge/controlplane/adminui"
	widgetsdk "github.com/popinbridge/bridge/widget-sdk"
)

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	if a.cfg.Ingests() { // a deliver node answers 404 here
		mux.Handle("/v1/", a.ingest.Handler())
		mux.Handle("GET /sdk.js", widgetsdk.Handler())
	}
	mux.Handle("/api/v1/", a.manage.mgr.Handler())
	mux.Handle("/admin/", adminui.Handler("/admin/"))
	// /healthz: the process is alive and serving; /readyz: see health.go.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", a.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "bridge: see /sdk.js, /v1/ws, /v1/events, /v1/hooks/popin, /admin/, /api/v1/, /healthz, /readyz, /metrics")
	})
	for pattern, h := range a.opts.Mounts {
		mux.Handle(pattern, h)
	}
	return mux
}
