package chartvalues

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/katadeploy"
)

// render renders our umbrella fixture of CoCo version coco with vals, offline, and returns
// kata-deploy's DaemonSet env and the RuntimeClasses of the manifest.
func render(t *testing.T, coco string, vals map[string]any) (map[string]string, []string) {
	t.Helper()
	ch, err := charts.CocoChart(coco)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := helmrelease.Render(context.Background(), ch, vals, ReleaseName, Namespace)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := KataDeployDaemonSet(rel.Manifest)
	if err != nil || ds == nil {
		t.Fatalf("no kata-deploy DaemonSet (%v) in\n%s", err, rel.Manifest)
	}
	if ds.Name != SubChart || ds.Spec.Selector.MatchLabels["name"] != SubChart {
		t.Errorf("DaemonSet %s selector %v: want the alias %s", ds.Name, ds.Spec.Selector.MatchLabels, SubChart)
	}
	return Env(ds), RuntimeClassesIn(rel.Manifest)
}

func inspect(t *testing.T, coco string) ChartInfo {
	t.Helper()
	ch, err := charts.CocoChart(coco)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(ch)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// Every platform on every supported chart: the values pass the contract, and the rendered
// DaemonSet passes kata-deploy's own start-up check on the platform's nodes with CoCo's shims.
func TestValuesPassKataDeployStartupCheck(t *testing.T) {
	tests := []struct {
		coco     string
		platform Platform
		arches   []string
		want     []string // runtime classes
		refused  string   // ForPlatform's error, if the chart has no shim for the platform
	}{
		{coco: "0.22.0", platform: X86, arches: []string{"amd64"}, want: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-nvidia-gpu-snp", "kata-qemu-nvidia-gpu-tdx", "kata-qemu-snp", "kata-qemu-tdx"}},
		{coco: "0.22.0", platform: S390x, arches: []string{"s390x"}, want: []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"}},
		{coco: "0.22.0", platform: Aarch64, arches: []string{"arm64"}, want: []string{"kata-qemu-coco-dev-runtime-rs"}},
		{coco: "0.22.0", platform: Peer, arches: []string{"amd64", "s390x"}, want: []string{"kata-remote"}},
		{coco: "0.21.0", platform: X86, arches: []string{"amd64"}, want: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-nvidia-gpu-snp", "kata-qemu-nvidia-gpu-tdx", "kata-qemu-snp", "kata-qemu-tdx"}},
		{coco: "0.21.0", platform: S390x, arches: []string{"s390x"}, want: []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"}},
		{coco: "0.21.0", platform: Aarch64, arches: []string{"arm64"}, want: []string{"kata-qemu-coco-dev-runtime-rs"}},
		{coco: "0.21.0", platform: Peer, arches: []string{"amd64"}, want: []string{"kata-remote"}},
		{coco: "0.19.0", platform: X86, arches: []string{"amd64"}, want: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-nvidia-gpu-snp", "kata-qemu-nvidia-gpu-tdx", "kata-qemu-snp", "kata-qemu-tdx"}},
		// kata-deploy 3.28.0 builds no CoCo shim for arm64 (qemu-coco-dev-runtime-rs gets arm64 in 3.29.0).
		{coco: "0.19.0", platform: Aarch64, refused: "offers none of the CoCo shims for aarch64"},
	}
	for _, tt := range tests {
		t.Run(tt.coco+"/"+string(tt.platform), func(t *testing.T) {
			info := inspect(t, tt.coco)
			if err := info.CheckDialect(); err != nil {
				t.Fatal(err)
			}
			plan, err := ForPlatform(tt.platform, info, "k8s", DefaultNodeSelector())
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), "kata-deploy 3.28.0") {
					t.Fatalf("want refusal %q, got %v", tt.refused, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckKeys(plan.Values, nil, info); err != nil {
				t.Fatal(err)
			}
			env, classes := render(t, tt.coco, plan.Values)
			if !slices.Equal(classes, tt.want) || !slices.Equal(RuntimeClasses(plan.Values), tt.want) {
				t.Errorf("runtime classes: manifest %v, values %v, want %v", classes, RuntimeClasses(plan.Values), tt.want)
			}
			if err := CheckEnv(env, tt.arches, plan.Shims); err != nil {
				t.Error(err)
			}
			for _, arch := range tt.arches {
				r, err := katadeploy.StartupCheck(env, arch, info.KataDeploy)
				if err != nil || r.Builtin {
					t.Errorf("%s: kata-deploy %s would not start: %v (builtin shims %v)", arch, info.KataDeploy, err, r.Builtin)
				}
				if !slices.Contains(r.Shims, plan.DefaultShim[arch]) || strings.Contains(strings.Join(r.Shims, " "), "clh") {
					t.Errorf("%s: kata-deploy would install %v (default %s)", arch, r.Shims, r.DefaultShim)
				}
			}
		})
	}
}

// The values of the previous release (CoCo shims on, no defaultShim; qemu-coco-dev for arm64)
// fail kata-deploy's check on x86 and install no CoCo shim on arm64; CheckEnv says why.
func TestPreFixValuesFail(t *testing.T) {
	for _, coco := range []string{"0.22.0", "0.21.0"} {
		info := inspect(t, coco)
		old := map[string]any{SubChart: map[string]any{"enabled": true, "nodeSelector": map[string]any{}, "shims": map[string]any{
			"disableAll": true, "qemu-coco-dev": map[string]any{"enabled": true}, "qemu-snp": map[string]any{"enabled": true}}}}
		env, _ := render(t, coco, old)
		_, err := katadeploy.StartupCheck(env, "amd64", info.KataDeploy)
		want := "DEFAULT_SHIM '" + katadeploy.BuiltinDefaultShim(info.KataDeploy, "x86_64") + "' must be one of the configured SHIMS for this architecture: [qemu-coco-dev, qemu-snp]"
		if err == nil || err.Error() != want {
			t.Errorf("%s x86: %v, want %q", coco, err, want)
		}
		if err := CheckEnv(env, []string{"amd64"}, []string{"qemu-coco-dev", "qemu-snp"}); err == nil || !strings.Contains(err.Error(), "no DEFAULT_SHIM_X86_64") {
			t.Errorf("%s: CheckEnv: %v", coco, err)
		}
		r, err := katadeploy.StartupCheck(env, "arm64", info.KataDeploy)
		if err != nil || !r.Builtin {
			t.Errorf("%s arm64: %+v %v: want kata-deploy's built-in shims", coco, r, err)
		}
		if err := CheckEnv(env, []string{"arm64"}, []string{"qemu-coco-dev"}); err == nil || !strings.Contains(err.Error(), "no SHIMS_AARCH64") {
			t.Errorf("%s arm64: CheckEnv: %v", coco, err)
		}
	}
}

func TestContractRefusals(t *testing.T) {
	// The env.shims dialect (umbrella 0.16.0 over kata-deploy 3.22.0).
	info := inspect(t, "0.16.0")
	err := info.CheckDialect()
	if err == nil || !strings.Contains(err.Error(), "chart confidential-containers 0.16.0 (kata-deploy 3.22.0) reads its shims from the single value env.shims") ||
		!strings.Contains(err.Error(), "supported: kata-deploy 3.26.0 to 4.1.x (CoCo charts 0.19.0 to 0.22.0)") {
		t.Errorf("dialect: %v", err)
	}
	// A chart without a key we set (a mirror's chart without defaultShim).
	info = inspect(t, "0.22.0")
	delete(info.Sub, "defaultShim")
	plan, err := ForPlatform(X86, info, "k8s", DefaultNodeSelector())
	if err != nil {
		t.Fatal(err)
	}
	err = CheckKeys(plan.Values, nil, info)
	if err == nil || !strings.Contains(err.Error(), "has no value kata-as-coco-runtime.defaultShim, which kubectl coco sets") {
		t.Errorf("missing key: %v", err)
	}
	// ...unless the user sets it themselves.
	if err := CheckKeys(plan.Values, map[string]any{SubChart: map[string]any{"defaultShim": map[string]any{"amd64": "qemu-snp"}}}, info); err != nil {
		t.Errorf("a key the user sets is theirs: %v", err)
	}
}

func TestVersions(t *testing.T) {
	for kd, want := range map[string]Dialect{"3.22.0": DialectEnv, "3.25.0": DialectEnabled, "3.26.0": DialectDisableAll, "4.1.0": DialectDisableAll} {
		if d, err := DialectOf(kd); err != nil || d != want {
			t.Errorf("%s: %s %v", kd, d, err)
		}
	}
	if KataDeployFor(DefaultVersion) != "4.0.0" || KataDeployFor("9.9.9") != "" {
		t.Error("release table")
	}
	if !Newer("4.2.0") || Newer("4.1.7") || Newer("3.30.0") {
		t.Error("Newer")
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]Platform{"amd64": X86, "S390X": S390x, "arm64": Aarch64, "remote": Peer} {
		if got, err := ParsePlatform(in); err != nil || got != want {
			t.Errorf("ParsePlatform(%q) = %s, %v", in, got, err)
		}
	}
	if _, err := ParsePlatform("riscv"); err == nil {
		t.Error("riscv accepted")
	}
}
