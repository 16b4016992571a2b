package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// fsyncReference is the hardware floor of a durable ack at this rate: an
// ideal group commit on the filesystem of dir. Records of 200 bytes arrive
// rate times a second for d; one loop writes every record that has arrived
// and is not yet durable in one write and fsyncs it. It returns, sorted,
// each record's time from its arrival to the end of the fsync that covered
// it (what a client waiting for its ack would see, stalls included) and
// each fsync's duration. A slow disk ends it at 2d.
func fsyncReference(t *testing.T, dir string, rate int, d time.Duration) (perRecord, perSync []time.Duration) {
	t.Helper()
	f, err := os.CreateTemp(dir, "fsyncref-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	const recSize = 200
	n := int(d.Seconds() * float64(rate))
	every := time.Second / time.Duration(rate)
	start := time.Now()
	arrival := func(i int) time.Time { return start.Add(time.Duration(i) * every) }
	buf := make([]byte, 0, recSize*n)
	perRecord = make([]time.Duration, 0, n)
	for done := 0; done < n && time.Since(start) < 2*d; {
		time.Sleep(time.Until(arrival(done)))
		arrived := min(n, int(time.Since(start)/every)+1)
		if _, err := f.Write(buf[:recSize*(arrived-done)]); err != nil {
			t.Fatal(err)
		}
		s := time.Now()
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		end := time.Now()
		perSync = append(perSync, end.Sub(s))
		for ; done < arrived; done++ {
			perRecord = append(perRecord, end.Sub(arrival(done)))
		}
	}
	slices.Sort(perRecord)
	slices.Sort(perSync)
	return perRecord, perSync
}

// promSnapshot is a Prometheus text exposition: "name{labels}" → value.
type promSnapshot map[string]float64

// scrapeMetrics reads http://addr/metrics.
func scrapeMetrics(t *testing.T, addr string) promSnapshot {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := promSnapshot{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			s[line[:i]] = v
		}
	}
	return s
}

// histQuantile is the upper bound of the bucket of histogram name that
// holds quantile q of the observations made between s and later (+Inf
// when it is the last), and the number of those observations.
func (s promSnapshot) histQuantile(later promSnapshot, name string, q float64) (float64, float64) {
	type bucket struct{ le, n float64 }
	var bs []bucket
	prefix := name + `_bucket{le="`
	for k, v := range later {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v - s[k]})
	}
	slices.SortFunc(bs, func(a, b bucket) int { return int(math.Copysign(1, a.le-b.le)) })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0, 0
	}
	total := bs[len(bs)-1].n
	for _, b := range bs {
		if b.n >= q*total {
			return b.le, total
		}
	}
	return math.Inf(1), total
}

func (s promSnapshot) delta(later promSnapshot, key string) float64 { return later[key] - s[key] }

// commitSummary describes the event log's commits between s and later:
// seal → fsynced ack by bucket bound, and events per segment.
func (s promSnapshot) commitSummary(later promSnapshot) string {
	const lat = "bridge_eventlog_commit_latency_seconds"
	p50, n := s.histQuantile(later, lat, 0.5)
	p99, _ := s.histQuantile(later, lat, 0.99)
	events := s.delta(later, "bridge_eventlog_segment_events_sum")
	return fmt.Sprintf("eventlog commits (seal -> fsynced ack) p50 <= %.1f ms, p99 <= %.1f ms, %.0f commits, %.2f events each",
		p50*1e3, p99*1e3, n, events/max(n, 1))
}

// gcSummary is the bridge's GC cycles between s and later and its longest
// recent stop-the-world pause.
func (s promSnapshot) gcSummary(later promSnapshot) string {
	return fmt.Sprintf("GC: %.0f cycles, longest recent pause %.2f ms",
		s.delta(later, "go_gc_duration_seconds_count"), later[`go_gc_duration_seconds{quantile="1"}`]*1e3)
}

// chHTTPQuery runs sql over ClickHouse's HTTP port on a kept-alive
// connection: polling through clickhouse-client forks a process per poll
// (about 40 ms of CPU each), which on a small machine competes with what
// the bench measures.
func chHTTPQuery(c *http.Client, httpPort int, sql string) (string, error) {
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/?query=%s", httpPort, url.QueryEscape(sql)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse http: %s: %s", resp.Status, b)
	}
	return string(b), nil
}

// dataDirOf is the directory holding the bridge's data dir, on the same
// filesystem.
func dataDirOf(p *bridgeProc) string { return filepath.Dir(p.cfg) }

// procCPU is the bridge process's CPU time so far.
func procCPU(t *testing.T, p *bridgeProc) time.Duration {
	t.Helper()
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	cpu, err := testkit.ProcCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return cpu
}
