package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsEveryDefault keeps the README's configuration reference
// identical to the program's defaults.
func TestReadmeListsEveryDefault(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	begin, end := strings.Index(s, "<!-- defaults:begin -->"), strings.Index(s, "<!-- defaults:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md lacks the <!-- defaults:begin/end --> block")
	}
	block := s[begin:end]
	block = block[strings.Index(block, "```yaml\n")+len("```yaml\n") : strings.LastIndex(block, "```")]
	want, err := DefaultYAML()
	if err != nil {
		t.Fatal(err)
	}
	if block != string(want) {
		t.Errorf("README.md configuration reference is out of date; run scripts/update-readme-defaults.sh:\n%s", want)
	}
}
