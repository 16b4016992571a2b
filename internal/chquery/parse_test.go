package chquery_test

import (
	"reflect"
	"testing"

	"github.com/popinbridge/bridge/internal/chquery"
)

func TestParse(t *testing.T) {
	md := "# Doc\n\n## A\n\ntext\n\n```sql\nSELECT 1\n```\n\n```\nnot sql\n```\n\n### B\n```sql\nSELECT\n  2\n```\n"
	got := chquery.Parse([]byte(md))
	want := []chquery.Query{{Title: "A", SQL: "SELECT 1"}, {Title: "B", SQL: "SELECT\n  2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %#v, want %#v", got, want)
	}
}
