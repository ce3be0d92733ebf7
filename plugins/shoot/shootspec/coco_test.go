package shootspec

import (
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func mt(name string, cpu int64, mem string) gardencorev1beta1.MachineType {
	return gardencorev1beta1.MachineType{Name: name, CPU: *resource.NewQuantity(cpu, resource.DecimalSI), Memory: resource.MustParse(mem)}
}

func TestCheckCoco(t *testing.T) {
	spec := gardencorev1beta1.CloudProfileSpec{MachineTypes: []gardencorev1beta1.MachineType{
		mt("vm-dedicated-2-4", 2, "4Gi"), mt("vm-dedicated-4-16", 4, "16Gi"), mt("vm-dedicated-8-8", 8, "8Gi"),
		mt("vm-dedicated-sgx-2-4-4", 2, "4Gi"), mt("vm-dedicated-sgx-8-16-16", 8, "16Gi")}}
	for _, tc := range []struct {
		name, machine, tee, k8s, want string
	}{
		{"2 CPUs", "vm-dedicated-2-4", "", "1.33.4", "has 2 CPUs, not the 4, which CoCo needs; machine types that do: vm-dedicated-4-16, vm-dedicated-8-8, vm-dedicated-sgx-8-16-16"}, // smallest first
		{"fits", "vm-dedicated-4-16", "", "1.33.4", ""},
		{"not a TEE type", "vm-dedicated-8-8", "sgx", "1.33.4", "is not a SGX machine type (vm-dedicated-sgx-*), which CoCo needs; machine types that do: vm-dedicated-sgx-8-16-16"},
		{"a small TEE type", "vm-dedicated-sgx-2-4-4", "sgx", "1.33.4", "has 2 CPUs"},
		{"a TEE type that fits", "vm-dedicated-sgx-8-16-16", "sgx", "1.33.4", ""},
		{"old Kubernetes", "vm-dedicated-4-16", "", "1.23.17", "the Kubernetes version 1.23.17 is older than 1.24.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m gardencorev1beta1.MachineType
			for _, x := range spec.MachineTypes {
				if x.Name == tc.machine {
					m = x
				}
			}
			err := CheckCoco(spec, m, tc.tee, tc.k8s)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
}
