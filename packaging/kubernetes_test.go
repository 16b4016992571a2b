package packaging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sObject is the part of a Kubernetes object the manifest tests read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas    int            `yaml:"replicas"`
		ServiceName string         `yaml:"serviceName"`
		Type        string         `yaml:"type"`
		ClusterIP   string         `yaml:"clusterIP"`
		Selector    map[string]any `yaml:"selector"`
		Ports       []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
	// Resources is a Kustomization's list of files.
	Resources []string `yaml:"resources"`
	file      string
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []k8sContainer `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	ReadinessProbe  *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe   *k8sProbe `yaml:"livenessProbe"`
	StartupProbe    *k8sProbe `yaml:"startupProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// probes returns the container's probes by kind.
func (c *k8sContainer) probes() map[string]*k8sProbe {
	out := map[string]*k8sProbe{}
	for kind, p := range map[string]*k8sProbe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p != nil {
			out[kind] = p
		}
	}
	return out
}

// portNumber resolves a probe's or Service's port (a number or the name of
// one of c's ports); 0 when it names none.
func (c *k8sContainer) portNumber(port any) int {
	switch p := port.(type) {
	case int:
		for _, cp := range c.Ports {
			if cp.ContainerPort == p {
				return p
			}
		}
	case string:
		for _, cp := range c.Ports {
			if cp.Name == p {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

func (c *k8sContainer) env(name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// k8sManifests parses every YAML document of packaging/kubernetes.
func k8sManifests(t *testing.T) []*k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "packaging", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in packaging/kubernetes: %v", err)
	}
	var out []*k8sObject
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			o := &k8sObject{file: filepath.Base(f)}
			if err := dec.Decode(o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s document %d: %v", o.file, i+1, err)
			}
			if o.APIVersion == "" || o.Kind == "" || (o.Metadata.Name == "" && o.Kind != "Kustomization") {
				t.Errorf("%s document %d: apiVersion %q, kind %q, name %q: all required", o.file, i+1, o.APIVersion, o.Kind, o.Metadata.Name)
			}
			out = append(out, o)
		}
	}
	return out
}

func k8sFind(objs []*k8sObject, kind, name string) *k8sObject {
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	return nil
}

func k8sMust(t *testing.T, objs []*k8sObject, kind, name string) *k8sObject {
	t.Helper()
	o := k8sFind(objs, kind, name)
	if o == nil {
		t.Fatalf("packaging/kubernetes has no %s %s", kind, name)
	}
	return o
}

// TestKubernetesManifests checks the manifests' invariants: the kustomization
// lists every file; every workload runs non-root with a read-only root and no
// privilege escalation; every probe and Service port names a port of the pods
// it selects; the admin Service stays internal; the bridge image is the one
// scripts/image.sh builds; the NATS StatefulSet is a 3-server JetStream
// cluster bridge's NATS URL points at.
func TestKubernetesManifests(t *testing.T) {
	objs := k8sManifests(t)

	var files []string
	for _, o := range objs {
		if o.file != "kustomization.yaml" && !slices.Contains(files, o.file) {
			files = append(files, o.file)
		}
	}
	kust := k8sMust(t, objs, "Kustomization", "")
	listed := slices.Clone(kust.Resources)
	sort.Strings(listed)
	sort.Strings(files)
	if !slices.Equal(listed, files) {
		t.Errorf("kustomization.yaml resources %v, want every manifest %v", listed, files)
	}

	var workloads []*k8sObject
	for _, o := range objs {
		if o.Kind == "Deployment" || o.Kind == "StatefulSet" {
			workloads = append(workloads, o)
		}
	}
	if len(workloads) != 2 {
		t.Errorf("%d workloads, want the bridge Deployment and the nats StatefulSet", len(workloads))
	}
	for _, w := range workloads {
		checkWorkload(t, w)
	}
	for _, o := range objs {
		if o.Kind == "Service" {
			checkService(t, o, workloads)
		}
		if o.Kind == "Ingress" {
			t.Errorf("%s: Ingress %s — the manifests leave exposing bridge to the operator", o.file, o.Metadata.Name)
		}
	}

	// The admin listener's Service is internal only.
	admin := k8sMust(t, objs, "Service", "bridge-admin")
	if admin.Spec.Type != "" && admin.Spec.Type != "ClusterIP" {
		t.Errorf("Service bridge-admin is %s; want ClusterIP (internal)", admin.Spec.Type)
	}

	// The image is the one scripts/image.sh builds.
	dep := k8sMust(t, objs, "Deployment", "bridge")
	script, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "image.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`tag=\$\{1:-([^:}]+):`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/image.sh: no default tag found")
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if repo, _, _ := strings.Cut(c.Image, ":"); repo != string(m[1]) {
		t.Errorf("bridge image %q, want %s:<tag> as scripts/image.sh builds it", c.Image, m[1])
	}
	// Prometheus scrapes the admin port.
	if p := dep.Spec.Template.Metadata.Annotations["prometheus.io/port"]; p != fmt.Sprint(c.portNumber("admin")) {
		t.Errorf("prometheus.io/port annotation %q, want the admin port %d", p, c.portNumber("admin"))
	}
	// Secrets come from a Secret, never inline.
	for _, e := range c.Env {
		secret := strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "KEY") || strings.Contains(e.Name, "PASSWORD")
		if secret && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("env %s is not from a Secret", e.Name)
		}
	}

	checkNATS(t, objs, c)
}

func checkWorkload(t *testing.T, w *k8sObject) {
	t.Helper()
	where := w.Kind + " " + w.Metadata.Name
	pod := w.Spec.Template.Spec
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext needs runAsNonRoot: true and a non-zero runAsUser", where)
	}
	sel, _ := w.Spec.Selector["matchLabels"].(map[string]any)
	for k, v := range sel {
		if w.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("%s: selector %s=%v does not match the pod template's labels", where, k, v)
		}
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s/%s: allowPrivilegeEscalation must be false", where, c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s/%s: readOnlyRootFilesystem must be true", where, c.Name)
		}
		if !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s/%s: capabilities must drop ALL", where, c.Name)
		}
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Errorf("%s/%s: readiness and liveness probes required", where, c.Name)
		}
		for kind, p := range c.probes() {
			if p.HTTPGet == nil || c.portNumber(p.HTTPGet.Port) == 0 {
				t.Errorf("%s/%s: %s probe is not an HTTP GET on one of the container's ports", where, c.Name, kind)
			}
		}
	}
}

func checkService(t *testing.T, s *k8sObject, workloads []*k8sObject) {
	t.Helper()
	var target *k8sObject
	for _, w := range workloads {
		match := len(s.Spec.Selector) > 0
		for k, v := range s.Spec.Selector {
			if w.Spec.Template.Metadata.Labels[k] != v {
				match = false
			}
		}
		if match {
			target = w
		}
	}
	if target == nil {
		t.Errorf("Service %s selects no workload", s.Metadata.Name)
		return
	}
	for _, p := range s.Spec.Ports {
		tp := p.TargetPort
		if tp == nil {
			tp = p.Port
		}
		found := false
		for _, c := range target.Spec.Template.Spec.Containers {
			found = found || c.portNumber(tp) != 0
		}
		if !found {
			t.Errorf("Service %s port %s: targetPort %v is no port of %s", s.Metadata.Name, p.Name, tp, target.Metadata.Name)
		}
	}
}
