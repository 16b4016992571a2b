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

func TestStatements(t *testing.T) {
	tests := []struct {
		name string
		in   chquery.Query
		want []chquery.Query
	}{
		{"one without semicolon", chquery.Query{Title: "T", SQL: "SELECT 1"},
			[]chquery.Query{{Title: "T", SQL: "SELECT 1"}}},
		{"commented statements", chquery.Query{Title: "T", SQL: "-- first\n-- one\nSELECT 1\nFROM x;\n\n-- second\nSELECT 2;  \n-- trailing comment only\n"},
			[]chquery.Query{{Title: "first one", SQL: "SELECT 1\nFROM x"}, {Title: "second", SQL: "SELECT 2"}}},
		{"no comment keeps the title", chquery.Query{Title: "T", SQL: "SELECT 1;\nSELECT 2 -- inline\n;"},
			[]chquery.Query{{Title: "T", SQL: "SELECT 1"}, {Title: "T", SQL: "SELECT 2 -- inline"}}},
		{"empty", chquery.Query{Title: "T", SQL: "\n;\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chquery.Statements(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Statements = %#v, want %#v", got, tt.want)
			}
		})
	}
}
