package app

import (
	"context"
	"net/http"
	"path"
	"strings"

	"github.com/popinbridge/bridge/collector/ingest"
)

// buildListeners makes the public listener and, when admin_listen is set,
// the admin listener: then /metrics, /api/v1/ and /admin/ are served only
// on the admin listener, which serves nothing else, and the public listener
// answers 404 for them.
func (a *App) buildListeners() {
	h := a.routes()
	if a.cfg.AdminListen == "" {
		a.http = newHTTPServer(a.cfg.Listen, h)
	} else {
		a.http = newHTTPServer(a.cfg.Listen, routesWhere(h, false))
		a.admin = newHTTPServer(a.cfg.AdminListen, routesWhere(h, true))
		ingest.ServerTimeouts().Apply(a.admin.srv)
	}
	ingest.ServerTimeouts().Apply(a.http.srv)
}

// AdminAddr is the admin listener's address once started, "" without
// admin_listen.
func (a *App) AdminAddr() string {
	if a.admin == nil {
		return ""
	}
	return a.admin.Addr()
}

// startAdmin binds the admin listener, if there is one.
func (a *App) startAdmin(ctx context.Context) error {
	if a.admin == nil {
		return nil
	}
	if err := a.admin.Start(ctx); err != nil {
		return err
	}
	a.log.Info("bridge admin listening (/metrics, /api/v1/, /admin/)", "addr", a.AdminAddr())
	return nil
}

// shutdownAdmin stops the admin listener, if there is one.
func (a *App) shutdownAdmin(ctx context.Context) error {
	if a.admin == nil {
		return nil
	}
	return a.admin.Shutdown(ctx)
}

// routesWhere passes to h the requests whose path is (admin true) or is not
// (admin false) an operator route, and answers 404 to the others.
func routesWhere(h http.Handler, admin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAdminRoute(r.URL.Path) != admin {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isAdminRoute reports whether p, cleaned as the mux cleans it, is one of
// the operator routes.
func isAdminRoute(p string) bool {
	p = path.Clean("/" + p)
	return p == "/metrics" || under(p, "/api/v1") || under(p, "/admin")
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
