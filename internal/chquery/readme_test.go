package chquery_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chquery"
)

// readmeDeliveryTitle names the README's query whose rows depend on the
// time it runs.
const readmeDeliveryTitle = "attempts and their success rate per endpoint, last 24 h"

// readmeStatements returns every statement of README.md's ```sql blocks,
// each titled by its "--" comment.
func readmeStatements(t *testing.T) []chquery.Query {
	t.Helper()
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []chquery.Query
	for _, block := range chquery.Parse(md) {
		out = append(out, chquery.Statements(block)...)
	}
	if len(out) == 0 {
		t.Fatal("found no statements in README.md's sql blocks; the test would prove nothing")
	}
	return out
}

// checkReadmeQueries runs every README.md statement on db, which holds the
// seeds, and compares its rows with the ones the seeds give. The README
// names the default database (`bridge.events`); the statements run with
// that qualifier replaced by database.
func checkReadmeQueries(t *testing.T, ctx context.Context, db *chdb.DB, database string, today time.Time) {
	t.Helper()
	expect := map[string][]string{
		"events per day by name":                eventsPerDay(today, false),
		"camera/mic permission given vs denied": {"D1 3 1 0.75"},
	}
	d1 := today.AddDate(0, 0, -2).Format(time.DateOnly)
	seen := map[string]bool{}
	for _, q := range readmeStatements(t) {
		t.Run("README/"+q.Title, func(t *testing.T) {
			seen[q.Title] = true
			if !strings.Contains(q.SQL, "bridge.") {
				t.Fatalf("README statement %q names no bridge.<table>:\n%s", q.Title, q.SQL)
			}
			sql := strings.ReplaceAll(q.SQL, "bridge.", database+".")
			var exp []string
			switch q.Title {
			case readmeDeliveryTitle:
				// Taken right before the query: the server's now() is a few
				// milliseconds later, and no seed is that close to the bound.
				exp = readmeDeliverySuccess(time.Now().Add(-24*time.Hour), today)
			default:
				var ok bool
				if exp, ok = expect[q.Title]; !ok {
					t.Fatalf("no expected result for README query %q; add one to this test", q.Title)
				}
			}
			got, err := run(ctx, db, sql)
			if err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			if len(exp) == 0 {
				t.Fatalf("the seeds give no rows for %q: seed some", q.Title)
			}
			want := strings.ReplaceAll(strings.Join(exp, "\n"), "D1", d1)
			if strings.Join(got, "\n") != want {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
			}
		})
	}
	expect[readmeDeliveryTitle] = nil
	for title := range expect {
		if !seen[title] {
			t.Errorf("README query %q is expected but not in README.md", title)
		}
	}
}

// readmeDeliverySuccess computes the README's delivery-success rows from the
// delivery seeds attempted after since (test sends left out; the retried
// insert's copies count once). Every seed has a latency of 10 ms.
func readmeDeliverySuccess(since, today time.Time) []string {
	type agg struct{ attempts, ok int }
	per := map[string]*agg{}
	for i, s := range deliverySeeds {
		if s.test || !deliverySeedTime(today, i, s).After(since) {
			continue
		}
		a := per[s.endpoint]
		if a == nil {
			a = &agg{}
			per[s.endpoint] = a
		}
		a.attempts++
		if s.ok {
			a.ok++
		}
	}
	var out []string
	for ep, a := range per {
		out = append(out, fmt.Sprintf("%s %d %s 10", ep, a.attempts, render(float64(a.ok)/float64(a.attempts))))
	}
	sort.Strings(out)
	return out
}
