package cloudprofile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/internal/fixture"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func profile(t *testing.T) gardencorev1beta1.CloudProfileSpec {
	t.Helper()
	cp, err := fixture.CloudProfile()
	if err != nil {
		t.Fatal(err)
	}
	return cp.Spec
}

func TestDefaultListingIsTheGuidesTable(t *testing.T) {
	rows, err := cloudprofile.MachineTypes(profile(t), cloudprofile.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(fixture.Dir(), "guide-machine-types.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&got, "| %-25s | %2s  |  %s   | %6s |     %s      | %12s | %12s |\n", r.Name, r.CPU, r.GPU, r.Memory, r.StorageClass, r.StorageSize, r.Architecture)
	}
	if got.String() != string(want) {
		t.Fatalf("machine types differ from the guide:\n%s", got.String())
	}
}

func TestFilters(t *testing.T) {
	spec := profile(t)
	names := func(f cloudprofile.Filter) string {
		rows, err := cloudprofile.MachineTypes(spec, f)
		if err != nil {
			return "error: " + err.Error()
		}
		var n []string
		for _, r := range rows {
			s := r.Name
			if r.Hidden != "" {
				s += "(" + r.Hidden + ")"
			}
			n = append(n, s)
		}
		return strings.Join(n, ",")
	}
	q := func(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
	for _, tc := range []struct {
		name string
		f    cloudprofile.Filter
		want string
	}{
		{"big", cloudprofile.Filter{MinCPU: q("16"), MinMemory: q("100Gi")}, "vm-dedicated-16-128,vm-dedicated-16-236"},
		{"zone hides", cloudprofile.Filter{Region: "eu-de-1", Zone: "eu-de-1b", MinCPU: q("32"), MinMemory: q("64Gi")}, ""},
		{"zone a keeps", cloudprofile.Filter{Region: "eu-de-1", Zone: "eu-de-1a", MinCPU: q("32"), MinMemory: q("64Gi")}, "vm-dedicated-32-64"},
		{"zone all", cloudprofile.Filter{Region: "eu-de-1", Zone: "eu-de-1b", MinCPU: q("32"), MinMemory: q("64Gi"), All: true}, "vm-dedicated-32-64(unavailable in zone eu-de-1b)"},
		{"gpu hidden", cloudprofile.Filter{GPU: true}, ""},
		{"gpu all", cloudprofile.Filter{GPU: true, All: true}, "vm-gpu-16-128-1(unavailable in every zone)"},
		{"unusable", cloudprofile.Filter{All: true, Arch: "amd64"}, ""},
		{"arm", cloudprofile.Filter{Arch: "arm64"}, ""},
		{"bad region", cloudprofile.Filter{Region: "eu-de-2"}, `error: region "eu-de-2" does not exist; did you mean "eu-de-1"?`},
		{"bad zone", cloudprofile.Filter{Region: "eu-de-1", Zone: "eu-de-1x"}, `error: zone "eu-de-1x" does not exist in region eu-de-1; did you mean "eu-de-1a" or "eu-de-1b"?`},
		{"zone without region", cloudprofile.Filter{Zone: "eu-de-1a"}, "error: --zone needs --region"},
	} {
		got := names(tc.f)
		if tc.name == "unusable" {
			if !strings.Contains(got, "vm-legacy-1-2(marked not usable in the cloud profile)") || strings.Count(got, ",") != 27 {
				t.Errorf("%s: %s", tc.name, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
	}
}

func TestVersions(t *testing.T) {
	spec := profile(t)
	if v, ok := cloudprofile.DefaultVersion(spec.Kubernetes.Versions, now); !ok || v != "1.34.3" {
		t.Fatalf("default %q", v)
	}
	for _, tc := range []struct{ in, want, warn, err string }{
		{"1.34.2", "1.34.2", "deprecated", ""},
		{"v1.33.7", "1.33.7", "", ""},
		{"1.33", "1.33.7", "", ""},
		{"1.34", "1.34.3", "", ""},
		{"1.35.1", "1.35.1", "preview", ""},
		{"1.32.9", "", "", "expired"},
		{"1.34.9", "", "", `did you mean "1.34.3" or "1.34.2"`},
		{"1.31", "", "", "does not exist"},
	} {
		v, warn, err := cloudprofile.ResolveVersion(spec.Kubernetes.Versions, tc.in, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v", tc.in, err)
			}
			continue
		}
		if err != nil || v != tc.want || !strings.Contains(warn, tc.warn) || (tc.warn == "") != (warn == "") {
			t.Errorf("%s: %q %q %v", tc.in, v, warn, err)
		}
	}
}

func TestClassifyLifecycle(t *testing.T) {
	past, future := metav1.NewTime(now.Add(-time.Hour)), metav1.NewTime(now.Add(time.Hour))
	v := gardencorev1beta1.ExpirableVersion{Version: "1.36.0", Lifecycle: []gardencorev1beta1.LifecycleStage{
		{Classification: "preview"}, {Classification: "supported", StartTime: &past}, {Classification: "deprecated", StartTime: &future}}}
	if c := cloudprofile.Classify(v, now); c != cloudprofile.Supported {
		t.Fatalf("lifecycle: %s", c)
	}
	v = gardencorev1beta1.ExpirableVersion{Version: "1.30.0", Classification: ptr.To(gardencorev1beta1.ClassificationSupported), ExpirationDate: &past}
	if c := cloudprofile.Classify(v, now); c != cloudprofile.Expired {
		t.Fatalf("expired: %s", c)
	}
}

func TestPickImage(t *testing.T) {
	spec := profile(t)
	for _, tc := range []struct{ name, ver, arch, want, err string }{
		{"", "", "amd64", "gardenlinux:1877.6.0", ""},
		{"gardenlinux", "1592.12.0", "amd64", "gardenlinux:1592.12.0", ""},
		{"gardenlinux", "", "arm64", "gardenlinux:1877.6.0", ""},
		{"", "", "s390x", "", "no supported machine image for s390x"},
		{"gardenlinx", "", "amd64", "", `did you mean "gardenlinux"`},
	} {
		img, err := cloudprofile.PickImage(spec.MachineImages, tc.name, tc.ver, tc.arch, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: %v", tc, err)
			}
			continue
		}
		if err != nil || img.Name+":"+img.Version != tc.want {
			t.Errorf("%+v: %v %v", tc, img, err)
		}
	}
}
