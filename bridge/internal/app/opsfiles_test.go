package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

const (
	alertsFile    = "../../../packaging/prometheus/alerts.yml"
	dashboardFile = "../../../packaging/grafana/bridge.json"
)

// TestAlertRulesPassPromtool: the shipped rules load in Prometheus and each
// unit test of alerts_test.yml holds. Needs Debian's prometheus package
// (scripts/deps.sh installs it); skipped without it, except under CI=true.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool missing under CI (scripts/deps.sh installs Debian's prometheus package): %v", err)
		}
		t.Skip("promtool missing; run scripts/deps.sh")
	}
	dir := filepath.Dir(alertsFile)
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var metricName = regexp.MustCompile(`\bbridge_[a-z0-9_]+`)

// onlyWhileWrong are series that exist only while something is wrong; they
// must be registered, not present.
var onlyWhileWrong = map[string]bool{"bridge_forwarder_endpoints_invalid": true}

// TestOpsFilesNameExportedMetrics: every metric the alert rules and the
// dashboard query is exported by a running bridge (with ClickHouse and one
// endpoint) before anything went wrong, so neither file can drift from the
// code and every alert has data from the start.
func TestOpsFilesNameExportedMetrics(t *testing.T) {
	used := map[string][]string{} // metric → where
	for _, e := range alertExprs(t) {
		for _, n := range metricName.FindAllString(e.expr, -1) {
			used[n] = append(used[n], "alerts.yml "+e.where)
		}
	}
	for _, e := range dashboardExprs(t) {
		for _, n := range metricName.FindAllString(e.expr, -1) {
			used[n] = append(used[n], "bridge.json "+e.where)
		}
	}
	if len(used) < 20 {
		t.Fatalf("only %d metric names found in the ops files: %v", len(used), used)
	}

	cfg, err := config.Parse([]byte(`
sites:
  - {id: acme, write_key: pk_acme, origins: ["https://www.acme.com"], popin_api_key: "."}
endpoints:
  - {id: crm, site: acme, url: "https://crm.example.com/h"}
`))
	if err != nil {
		t.Fatal(err)
	}
	base := testConfig(t)
	cfg.Listen, cfg.DataDir, cfg.AdminToken = base.Listen, base.DataDir, base.AdminToken
	cfg.ClickHouse.Addr = chtest.New(t).Addr()
	a, _, _ := serveApp(t, cfg, 60*time.Second)

	var missing []string
	testkit.Eventually(t, 60*time.Second, func() error { // ClickHouse connects in the background
		exported := scrapeNames(t, "http://"+a.Addr()+"/metrics")
		missing = missing[:0]
		for n := range used {
			if !exported[n] && !onlyWhileWrong[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return fmt.Errorf("not exported: %v", missing)
		}
		return nil
	})
	registered := registeredNames(a.reg)
	for n := range used {
		if onlyWhileWrong[n] && !registered[n] {
			t.Errorf("%s (used by %v) is not registered", n, used[n])
		}
	}
}

type expr struct{ where, expr string }

func alertExprs(t *testing.T) []expr {
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var out []expr
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, expr{r.Alert + r.Record, r.Expr})
		}
	}
	return out
}

// dashboardExprs returns the queries of every panel and template variable,
// checking the dashboard's shape on the way.
func dashboardExprs(t *testing.T) []expr {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Panels []struct {
			ID      int
			Type    string
			Title   string
			Targets []struct{ RefID, Expr string }
		}
		Templating struct {
			List []struct {
				Name       string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" {
		t.Error("dashboard has no uid")
	}
	var out []expr
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			out = append(out, expr{p.Title + " " + q.RefID, q.Expr})
		}
	}
	for _, v := range d.Templating.List {
		out = append(out, expr{"$" + v.Name, v.Definition})
	}
	return out
}

// scrapeNames returns the names of the samples url exports.
func scrapeNames(t *testing.T, url string) map[string]bool {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// registeredNames returns the names of every metric reg describes.
func registeredNames(reg *prometheus.Registry) map[string]bool {
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	names := map[string]bool{}
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}
