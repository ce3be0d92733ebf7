package pools

import (
	"errors"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

func profile() gardencorev1beta1.CloudProfileSpec {
	mt := func(name string, cpu int64, mem, arch string) gardencorev1beta1.MachineType {
		return gardencorev1beta1.MachineType{Name: name, CPU: *resource.NewQuantity(cpu, resource.DecimalSI), Memory: resource.MustParse(mem), Architecture: ptr.To(arch)}
	}
	return gardencorev1beta1.CloudProfileSpec{
		MachineTypes: []gardencorev1beta1.MachineType{mt("vm-dedicated-2-4", 2, "4Gi", "amd64"), mt("vm-dedicated-4-16", 4, "16Gi", "amd64"), mt("vm-arm-4-16", 4, "16Gi", "arm64")},
		Regions:      []gardencorev1beta1.Region{{Name: "eu-de-2", Zones: []gardencorev1beta1.AvailabilityZone{{Name: "eu-de-02"}, {Name: "eu-de-03"}}}},
	}
}

func shoot() *gardencorev1beta1.Shoot {
	s := &gardencorev1beta1.Shoot{}
	s.Name, s.Spec.Region, s.Spec.Kubernetes.Version = "eco-sbx", "eu-de-2", "1.33.4"
	s.Spec.Provider.Workers = []gardencorev1beta1.Worker{{Name: "worker", Minimum: 1, Maximum: 3, Zones: []string{"eu-de-02"},
		Machine: gardencorev1beta1.Machine{Type: "vm-dedicated-2-4", Architecture: ptr.To("amd64"), Image: &gardencorev1beta1.ShootMachineImage{Name: "gardenlinux"}},
		CRI:     &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD}}}
	return s
}

func TestAddPool(t *testing.T) {
	s := shoot()
	ws, err := AddPool(s, profile(), Add{Name: "coco", MachineType: "vm-dedicated-4-16", Min: 1, Max: 2, ForCoco: true, Labels: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	w := ws[1]
	if len(ws) != 2 || w.Labels["node.kubernetes.io/worker"] != "" || w.Labels["team"] != "a" || w.Zones[0] != "eu-de-02" || w.Machine.Image.Name != "gardenlinux" || w.CRI.Name != "containerd" {
		t.Fatalf("%+v", w)
	}
	if len(s.Spec.Provider.Workers) != 1 {
		t.Fatal("the shoot's own workers were changed")
	}
	s.Spec.Provider.Workers = ws
	var u *Unchanged
	if _, err := AddPool(s, profile(), Add{Name: "coco", MachineType: "vm-dedicated-4-16", Min: 1, Max: 2, ForCoco: true, Labels: map[string]string{"team": "a"}}); !errors.As(err, &u) {
		t.Fatalf("the same pool again: %v", err)
	}
	for _, tc := range []struct {
		a    Add
		want string
	}{
		{Add{Name: "big", MachineType: "vm-dedicated-4-61", Min: 1, Max: 1}, `"vm-dedicated-4-16"`},
		{Add{Name: "small", MachineType: "vm-dedicated-2-4", Min: 1, Max: 1, ForCoco: true}, "has 2 CPUs, not the 4"},
		{Add{Name: "arm", MachineType: "vm-arm-4-16", Min: 1, Max: 1}, "is arm64, the shoot's first pool amd64"},
		{Add{Name: "z", MachineType: "vm-dedicated-4-16", Min: 1, Max: 1, Zones: []string{"eu-de-09"}}, "eu-de-09"},
		{Add{Name: "coco", MachineType: "vm-dedicated-4-16", Min: 1, Max: 5}, "exists with other settings"},
	} {
		if _, err := AddPool(s, profile(), tc.a); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.a, err, tc.want)
		}
	}
}

func TestScaleAndDelete(t *testing.T) {
	s := shoot()
	ws, err := Scale(s, "worker", 2, 5)
	if err != nil || ws[0].Minimum != 2 || ws[0].Maximum != 5 || s.Spec.Provider.Workers[0].Minimum != 1 {
		t.Fatalf("%+v %v", ws, err)
	}
	var u *Unchanged
	if _, err := Scale(s, "worker", 1, 3); !errors.As(err, &u) {
		t.Fatalf("same size: %v", err)
	}
	if _, err := Scale(s, "wroker", 1, 2); err == nil || !strings.Contains(err.Error(), `did you mean "worker"?`) {
		t.Fatalf("typo: %v", err)
	}
	if _, err := Scale(s, "worker", 3, 2); err == nil || !strings.Contains(err.Error(), "need 0 <= MIN <= MAX") {
		t.Fatalf("bad sizes: %v", err)
	}
	if _, err := Delete(s, "worker"); err == nil || !strings.Contains(err.Error(), "last pool") {
		t.Fatalf("last pool: %v", err)
	}
	if _, err := Delete(s, "gone"); !errors.As(err, &u) {
		t.Fatalf("absent: %v", err)
	}
	s.Spec.Provider.Workers = append(s.Spec.Provider.Workers, gardencorev1beta1.Worker{Name: "extra"})
	if ws, err := Delete(s, "extra"); err != nil || len(ws) != 1 || len(s.Spec.Provider.Workers) != 2 {
		t.Fatalf("%v %v", ws, err)
	}
}

func TestNamesAndTaints(t *testing.T) {
	for _, bad := range []string{"Pool", "a-very-long-pool-name", "-x"} {
		if ValidateName(bad) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	ts, err := ParseTaints([]string{"dedicated=coco:NoSchedule", "gpu:NoExecute"})
	if err != nil || len(ts) != 2 || ts[0].Key != "dedicated" || ts[0].Value != "coco" || ts[1].Key != "gpu" || ts[1].Value != "" {
		t.Fatalf("%+v %v", ts, err)
	}
	for _, bad := range []string{"dedicated=coco", "k=v:Never", "bad key=v:NoSchedule"} {
		if _, err := ParseTaints([]string{bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
