package endpoint

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeRow is a row of the README's endpoint table: "`GET /path?…` (or
// `POST`) | what it gives you".
var readmeRow = regexp.MustCompile("^\\| `([A-Z]+) (/[^?` ]*)[^`]*`((?: \\(or `[A-Z]+`\\))*) \\|")

// TestReadmeEndpoints compares the README's first table, the endpoints, with
// the declarations: the same paths in the same order, each with its methods.
func TestReadmeEndpoints(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	inTable := false
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimRight(line, "\n")
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break // the first table ends
			}
			continue
		}
		inTable = true
		if strings.HasPrefix(line, "| endpoint ") || strings.HasPrefix(line, "| ---") {
			continue
		}
		m := readmeRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README endpoint row %q is not \"| `METHOD /path` (or `METHOD`) | …\"", line)
			continue
		}
		methods := []string{m[1]}
		for _, o := range regexp.MustCompile("`([A-Z]+)`").FindAllStringSubmatch(m[3], -1) {
			methods = append(methods, o[1])
		}
		got = append(got, strings.Join(methods, ",")+" "+m[2])
	}
	var want []string
	for _, r := range All {
		want = append(want, strings.Join(r.Methods, ",")+" "+r.Path)
	}
	if !slices.Equal(got, want) {
		t.Errorf("README endpoint table = %q, want %q (from endpoint.All)", got, want)
	}
}
