package shoot

import (
	"encoding/json"
	"strings"
	"testing"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func TestPools(t *testing.T) {
	const name = "eco-pools"
	create(t, name)
	pools := func() []cmd.PoolInfo {
		t.Helper()
		r := shoot(t, "pool", "list", name, "-o", "json")
		var l cmd.PoolList
		if err := json.Unmarshal([]byte(r.Stdout), &l); err != nil || r.Code != 0 {
			t.Fatalf("list: exit %d %v %s", r.Code, err, r.Stderr)
		}
		return l.Items
	}
	if ps := pools(); len(ps) != 1 || ps[0].MachineType != "vm-dedicated-2-4" {
		t.Fatalf("pools %+v", ps)
	}

	harness.Step(t, "add: the cloud profile's checks, CoCo's, then a pool Gardener accepts", func(t *testing.T) {
		if r := shoot(t, "pool", "add", name, "coco", "--machine-type", "vm-dedicated-4-61"); r.Code != 2 || !strings.Contains(r.Stderr, "vm-dedicated-4-16") {
			t.Fatalf("typo: exit %d %s", r.Code, r.Stderr)
		}
		if r := shoot(t, "pool", "add", name, "coco", "--machine-type", "vm-dedicated-2-8", "--for", "coco"); r.Code != 2 || !strings.Contains(r.Stderr, "has 2 CPUs, not the 4, which CoCo needs") {
			t.Fatalf("2 CPUs: exit %d %s", r.Code, r.Stderr)
		}
		if r := shoot(t, "pool", "add", name, "coco", "--machine-type", "vm-dedicated-4-16", "--for", "coco", "--dry-run"); r.Code != 0 || len(pools()) != 1 {
			t.Fatalf("dry run: exit %d %s", r.Code, r.Stderr)
		}
		r := shoot(t, "pool", "add", name, "coco", "--machine-type", "vm-dedicated-4-16", "--for", "coco", "--max", "2", "--taints", "dedicated=coco:NoSchedule")
		if r.Code != 0 || !strings.Contains(r.Stdout, "pool coco add changed") {
			t.Fatalf("add: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		w := getShoot(t, name).Spec.Provider.Workers
		if len(w) != 2 || w[1].Name != "coco" || w[1].Labels["node.kubernetes.io/worker"] != "" || len(w[1].Taints) != 1 || w[1].Maximum != 2 {
			t.Fatalf("workers %+v", w)
		}
		if r := shoot(t, "pool", "add", name, "coco", "--machine-type", "vm-dedicated-4-16", "--for", "coco", "--max", "2", "--taints", "dedicated=coco:NoSchedule"); r.Code != 0 || !strings.Contains(r.Stdout, "already exists as asked") {
			t.Fatalf("again: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})

	harness.Step(t, "scale and delete; the last pool stays", func(t *testing.T) {
		if r := shoot(t, "pool", "scale", name, "coco", "--min", "1", "--max", "4"); r.Code != 0 || getShoot(t, name).Spec.Provider.Workers[1].Maximum != 4 {
			t.Fatalf("scale: exit %d %s", r.Code, r.Stderr)
		}
		if r := shoot(t, "pool", "scale", name, "cocoo", "--min", "1", "--max", "4"); r.Code != 1 || !strings.Contains(r.Stderr, `did you mean "coco"?`) {
			t.Fatalf("typo: exit %d %s", r.Code, r.Stderr)
		}
		if r := shoot(t, "pool", "delete", name, "coco"); r.Code != 0 || len(pools()) != 1 {
			t.Fatalf("delete: exit %d %s", r.Code, r.Stderr)
		}
		if r := shoot(t, "pool", "delete", name, "coco"); r.Code != 0 || !strings.Contains(r.Stdout, "has no pool coco") {
			t.Fatalf("delete again: exit %d %s", r.Code, r.Stdout)
		}
		if r := shoot(t, "pool", "delete", name, pools()[0].Name); r.Code != 1 || !strings.Contains(r.Stderr, "last pool") {
			t.Fatalf("last pool: exit %d %s", r.Code, r.Stderr)
		}
	})

	for _, args := range [][]string{{"pool", "add", name, "Bad_Name", "--machine-type", "x"}, {"pool", "add", name, "p", "--machine-type", "x", "--tee", "sgx"},
		{"pool", "scale", name, "p"}, {"pool", "add", name, "p", "--machine-type", "x", "--taints", "k=v"}} {
		if r := shoot(t, args...); r.Code != 2 {
			t.Errorf("%v: exit %d %s", args, r.Code, r.Stderr)
		}
	}
}
