package packaging

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	imageTag     = "localhost/bridge:packaging-test"
	imageVersion = "v0.0.0-packaging-test"
)

// imageConfig is the part of `podman image inspect` that says how the image runs.
type imageConfig struct {
	User         string
	Env          []string
	Entrypoint   []string
	WorkingDir   string
	ExposedPorts map[string]struct{}
	Volumes      map[string]struct{}
}

// builtImage is the image scripts/image.sh built, unpacked: rootfs is its
// exported file system (extracted as root, owners kept), headers its tar entries.
type builtImage struct {
	dir     string
	rootfs  string
	config  imageConfig
	headers map[string]*tar.Header
}

var (
	imageOnce sync.Once
	image     *builtImage
	imageErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if image != nil {
		_ = os.RemoveAll(image.dir)
	}
	os.Exit(code)
}

// theImage builds the image once per test binary, in podman storage of its
// own (vfs, private root and runroot), and exports its file system.
func theImage(t *testing.T) *builtImage {
	t.Helper()
	needTool(t, "podman")
	needTool(t, "chroot")
	needRoot(t)
	imageOnce.Do(func() { image, imageErr = buildImage(repoRoot(t)) })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return image
}

func buildImage(root string) (*builtImage, error) {
	dir, err := os.MkdirTemp("", "bridge-image-")
	if err != nil {
		return nil, err
	}
	img := &builtImage{dir: dir, rootfs: filepath.Join(dir, "rootfs")}
	storage := []string{"--storage-driver", "vfs", "--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run")}
	podman := func(args ...string) ([]byte, error) {
		out, err := exec.Command("podman", append(storage, args...)...).Output()
		if err != nil {
			return nil, fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, stderrOf(err))
		}
		return out, nil
	}

	build := exec.Command("bash", filepath.Join(root, "scripts", "image.sh"), imageTag)
	build.Env = append(os.Environ(), "VERSION="+imageVersion,
		"PODMAN_ROOT="+filepath.Join(dir, "storage"), "PODMAN_RUNROOT="+filepath.Join(dir, "run"), "PODMAN_STORAGE_DRIVER=vfs")
	if out, err := build.CombinedOutput(); err != nil {
		return img, fmt.Errorf("scripts/image.sh: %w\n%s", err, out)
	}
	out, err := podman("image", "inspect", "--format", "{{json .Config}}", imageTag)
	if err != nil {
		return img, err
	}
	if err := json.Unmarshal(out, &img.config); err != nil {
		return img, fmt.Errorf("image config %q: %w", out, err)
	}
	out, err = podman("create", imageTag)
	if err != nil {
		return img, err
	}
	id := strings.TrimSpace(string(out))
	archive := filepath.Join(dir, "rootfs.tar")
	if _, err := podman("export", "-o", archive, id); err != nil {
		return img, err
	}
	if _, err := podman("rm", id); err != nil {
		return img, err
	}
	if img.headers, err = tarHeaders(archive); err != nil {
		return img, err
	}
	if err := os.Mkdir(img.rootfs, 0o755); err != nil {
		return img, err
	}
	if out, err := exec.Command("tar", "--same-owner", "--same-permissions", "-xf", archive, "-C", img.rootfs).CombinedOutput(); err != nil {
		return img, fmt.Errorf("unpack: %w\n%s", err, out)
	}
	return img, nil
}

func tarHeaders(path string) (map[string]*tar.Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := map[string]*tar.Header{}
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			return hs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		hs["/"+strings.Trim(h.Name, "/")] = h
	}
}

func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}

// TestImageConfig checks how the image runs: non-root, port 8080, `bridge
// serve` with the shipped configuration, state in a volume.
func TestImageConfig(t *testing.T) {
	c := theImage(t).config
	if c.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532", c.User)
	}
	if got := strings.Join(c.Entrypoint, " "); got != "/usr/local/bin/bridge serve" {
		t.Errorf("Entrypoint = %q", got)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v, want 8080/tcp", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/var/lib/bridge"]; !ok {
		t.Errorf("Volumes = %v, want /var/lib/bridge", c.Volumes)
	}
	if c.WorkingDir != "/var/lib/bridge" {
		t.Errorf("WorkingDir = %q", c.WorkingDir)
	}
	if !containsString(c.Env, "BRIDGE_CONFIG=/etc/bridge/bridge.yaml") {
		t.Errorf("Env = %v, want BRIDGE_CONFIG", c.Env)
	}
}

// TestImageFiles checks the file system: a static binary and what it needs,
// nothing else (no shell), state owned by the image's user.
func TestImageFiles(t *testing.T) {
	img := theImage(t)
	tests := []struct {
		path string
		uid  int
		mode os.FileMode // permission and sticky bits, 0 = any
	}{
		{"/usr/local/bin/bridge", 0, 0o755},
		{"/etc/bridge/bridge.yaml", 0, 0o644},
		{"/etc/passwd", 0, 0o644},
		{"/etc/group", 0, 0o644},
		{"/etc/ssl/certs/ca-certificates.crt", 0, 0o644},
		{"/var/lib/bridge", 65532, 0o755},
		{"/tmp", 0, 0o777 | os.ModeSticky},
	}
	for _, tt := range tests {
		h, ok := img.headers[tt.path]
		if !ok {
			t.Errorf("%s: not in the image", tt.path)
			continue
		}
		if h.Uid != tt.uid {
			t.Errorf("%s: owner %d, want %d", tt.path, h.Uid, tt.uid)
		}
		if mode := h.FileInfo().Mode() & (os.ModePerm | os.ModeSticky); tt.mode != 0 && mode != tt.mode {
			t.Errorf("%s: mode %v, want %v", tt.path, mode, tt.mode)
		}
	}
	for _, p := range []string{"/bin/sh", "/bin", "/usr/bin/sh", "/sbin"} {
		if _, ok := img.headers[p]; ok {
			t.Errorf("%s is in the image; the runtime has no shell", p)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(img.rootfs, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(passwd, []byte("bridge:x:65532:65532:")) {
		t.Errorf("/etc/passwd has no bridge user:\n%s", passwd)
	}
	if h := img.headers["/etc/ssl/certs/ca-certificates.crt"]; h != nil && h.Size < 1000 {
		t.Errorf("CA certificates: %d bytes", h.Size)
	}
}

// TestImageVersion runs the binary of the exported file system as the
// image's user; a dynamically linked binary would not start in it.
func TestImageVersion(t *testing.T) {
	img := theImage(t)
	cmd := exec.Command("chroot", "--userspec="+img.config.User, img.rootfs, "/usr/local/bin/bridge", "version")
	cmd.Env = img.config.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bridge version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "bridge "+imageVersion) {
		t.Errorf("bridge version printed %q, want the version stamped by scripts/image.sh (%s)", out, imageVersion)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
