package packaging

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// finalStage returns the instructions after the last FROM of a Dockerfile,
// continuation lines joined, COPY reduced to its flags (except --from) and
// destination: what the runtime image is, not where its files came from.
func finalStage(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if cur.Len() == 0 && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	var stage []string
	for _, l := range lines {
		f := strings.Fields(l)
		switch strings.ToUpper(f[0]) {
		case "FROM":
			stage = []string{strings.Join(f, " ")}
		case "COPY":
			kept := []string{"COPY"}
			for _, a := range f[1 : len(f)-1] {
				if strings.HasPrefix(a, "--") && !strings.HasPrefix(a, "--from=") {
					kept = append(kept, a)
				}
			}
			stage = append(stage, strings.Join(append(kept, f[len(f)-1]), " "))
		default:
			stage = append(stage, strings.Join(f, " "))
		}
	}
	return stage
}

// TestDockerfileMatchesLocalImage: the Dockerfile cannot be built here (no
// registry), so its runtime stage must be the one `make image` builds and the
// image tests run.
func TestDockerfileMatchesLocalImage(t *testing.T) {
	root := repoRoot(t)
	docker := finalStage(t, filepath.Join(root, "Dockerfile"))
	local := finalStage(t, filepath.Join(root, "packaging", "Containerfile.local"))
	if len(local) < 5 || local[0] != "FROM scratch" {
		t.Fatalf("Containerfile.local final stage = %q", local)
	}
	if !slices.Equal(docker, local) {
		t.Errorf("final stages differ:\nDockerfile:          %q\nContainerfile.local: %q", docker, local)
	}
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "packaging/rootfs/etc/passwd", "packaging/bridge.yaml", "ca-certificates.crt", "chmod 1777"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile's build stage lacks %q (scripts/image.sh lays out the same tree)", want)
		}
	}
}
