package deploytest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mapRow is one row of the README's folder map: the paths it names and
// whether it says they ship in a Lambda binary.
type mapRow struct {
	paths []string // as written: "internal/api", "functions/*", "events/"
	ships bool
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeMap parses the "| path | ships | what |" table of the README's
// "How it fits together" section.
func readmeMap(t *testing.T, readme string) []mapRow {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## How it fits together\n")
	if !ok {
		t.Fatal(`README.md has no "## How it fits together" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, table, ok := strings.Cut(section, "\n| path | ships | what |\n| --- | --- | --- |\n")
	if !ok {
		t.Fatal(`README.md's "How it fits together" has no "| path | ships | what |" table`)
	}
	var rows []mapRow
	for line := range strings.Lines(table) {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("map row %q: want 3 cells", line)
		}
		var r mapRow
		for _, m := range backticked.FindAllStringSubmatch(cells[0], -1) {
			r.paths = append(r.paths, m[1])
		}
		switch strings.TrimSpace(cells[1]) {
		case "yes":
			r.ships = true
		case "no":
		default:
			t.Fatalf("map row %q: ships is %q, want yes or no", line, cells[1])
		}
		if len(r.paths) == 0 {
			t.Fatalf("map row %q names no path", line)
		}
		rows = append(rows, r)
	}
	return rows
}

// packageDirs lists the repository's directories that hold Go files, as go
// sees them (no testdata, no hidden or underscore directories), and its
// top-level directories, all slash-separated and relative to root.
func packageDirs(t *testing.T, root string) map[string]bool {
	t.Helper()
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() && rel != "." {
			if rel == ".git" || rel == "build" || rel == ".aws-sam" { // git, and build output (.gitignore)
				return filepath.SkipDir
			}
			if !strings.Contains(rel, "/") {
				dirs[rel] = true // every top-level folder, Go or not (events, .ci)
			} else if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") && path.Dir(rel) != "." {
			dirs[path.Dir(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// TestReadmeMap checks the README's folder map against the tree and against
// what the functions link: every folder is named exactly once (a top-level
// one, or one that holds Go files), every named path exists, and a row says
// "ships" exactly when its packages are in a function's dependencies.
func TestReadmeMap(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeMap(t, string(readme))

	shipped := map[string]bool{}
	for pkg, deps := range lambdaDeps(t, "./functions/...") {
		for _, p := range append(deps, pkg) {
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				shipped[rel] = true
			}
		}
	}

	dirs := packageDirs(t, root)
	named, within := map[string]int{}, map[string]bool{}
	for _, r := range rows {
		for _, p := range r.paths {
			var covers []string // the folders (or file) this path names
			if parent, ok := strings.CutSuffix(p, "/*"); ok {
				entries, err := os.ReadDir(filepath.Join(root, parent))
				if err != nil {
					t.Errorf("README map names %s: %v", p, err)
				}
				for _, e := range entries {
					if e.IsDir() {
						covers = append(covers, parent+"/"+e.Name())
					}
				}
				if len(covers) == 0 {
					t.Errorf("README map names %s, which has no folders", p)
				}
			} else {
				p = strings.TrimSuffix(p, "/")
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					t.Errorf("README map names %s, which does not exist", p)
				}
				covers = []string{p}
			}
			for _, c := range covers {
				named[c]++
				if top, _, nested := strings.Cut(c, "/"); nested {
					within[top] = true // a top-level folder is mapped through its rows
				}
				if shipped[c] != r.ships {
					t.Errorf("README map says %s ships: %v; in a function's dependencies: %v", c, r.ships, shipped[c])
				}
			}
		}
	}
	for d := range dirs {
		if named[d] == 0 && !within[d] {
			t.Errorf("README map does not name %s", d)
		}
	}
	for d, n := range named {
		if n > 1 {
			t.Errorf("README map names %s %d times", d, n)
		}
	}
}
