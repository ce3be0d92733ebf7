package confidential

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

func objs(t *testing.T, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

const (
	plainPod = `{apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {containers: [{name: web, image: "nginx@sha256:0123"}]}}`
	service  = `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}`
)

func TestPrepare(t *testing.T) {
	tests := []struct {
		name     string
		docs     []string
		path     []string // where the pod template's spec is
		warnings []string
	}{
		{"a plain pod", []string{plainPod}, []string{"spec"}, nil},
		{"a Deployment and its Service", []string{`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx:1.27}]}}}}`, service},
			[]string{"spec", "template", "spec"}, []string{"deployment/web: container web: image nginx:1.27 is pulled by tag"}},
		{"hostPath and host namespaces", []string{`{apiVersion: v1, kind: Pod, metadata: {name: h}, spec: {hostNetwork: true, hostPID: true, volumes: [{name: logs, hostPath: {path: /var/log}}], containers: [{name: c, image: "x@sha256:1"}]}}`},
			[]string{"spec"}, []string{"hostNetwork: true", "hostPID: true", "volume logs is a hostPath (/var/log)"}},
		{"privileged init container and pull secrets", []string{`{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {jobTemplate: {spec: {template: {spec: {imagePullSecrets: [{name: reg}], initContainers: [{name: setup, image: "x@sha256:1", securityContext: {privileged: true}}], containers: [{name: c, image: "x@sha256:1"}]}}}}}}`},
			[]string{"spec", "jobTemplate", "spec", "template", "spec"}, []string{"initContainer setup is privileged", "imagePullSecrets: the guest pulls images itself"}},
		{"an existing runtime class", []string{`{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: d}, spec: {template: {spec: {runtimeClassName: runc, containers: [{name: c, image: "x@sha256:1"}]}}}}`},
			[]string{"spec", "template", "spec"}, []string{"runtimeClassName runc is replaced by kata-qemu-snp", "a DaemonSet runs on every node"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := objs(t, tt.docs...)
			r, err := Prepare(in, Options{RuntimeClass: "kata-qemu-snp", Initdata: "H4sI"})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Objects[0]
			if rc, _, _ := unstructured.NestedString(got.Object, append(tt.path, "runtimeClassName")...); rc != "kata-qemu-snp" {
				t.Errorf("runtimeClassName %q", rc)
			}
			meta := append(append([]string{}, tt.path[:len(tt.path)-1]...), "metadata", "annotations", initdata.Annotation)
			if v, _, _ := unstructured.NestedString(got.Object, meta...); v != "H4sI" {
				t.Errorf("initdata annotation %q at %v", v, meta)
			}
			if _, found, _ := unstructured.NestedFieldNoCopy(in[0].Object, append(tt.path, "runtimeClassName")...); found && tt.name != "an existing runtime class" {
				t.Error("the input was changed")
			}
			if len(r.Objects) != len(tt.docs) || r.Workloads != 1 {
				t.Errorf("%d objects, %d workloads", len(r.Objects), r.Workloads)
			}
			var msgs []string
			for _, w := range r.Warnings {
				msgs = append(msgs, w.Object+": "+w.Message)
			}
			all := strings.Join(msgs, "\n")
			for _, want := range tt.warnings {
				if !strings.Contains(all, want) {
					t.Errorf("no warning %q in\n%s", want, all)
				}
			}
			if len(tt.warnings) == 0 && len(msgs) != 0 {
				t.Errorf("unexpected warnings:\n%s", all)
			}
		})
	}
}

func TestPrepareRefuses(t *testing.T) {
	if _, err := Prepare(objs(t, service), Options{RuntimeClass: "kata-qemu-snp"}); err == nil || !strings.Contains(err.Error(), "no Pod, Deployment") {
		t.Fatalf("%v", err)
	}
	if _, err := Prepare(objs(t, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: x}, spec: {}}`), Options{RuntimeClass: "k"}); err == nil || !strings.Contains(err.Error(), "deployment/x: no pod spec") {
		t.Fatalf("%v", err)
	}
	r, err := Prepare(objs(t, plainPod), Options{RuntimeClass: "kata-qemu-snp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := unstructured.NestedString(r.Objects[0].Object, "metadata", "annotations", initdata.Annotation); found {
		t.Error("an empty initdata was set")
	}
}
