// Package pools edits a Shoot's worker pools (spec.provider.workers): adding one checked against
// the cloud profile as create checks its first, scaling, and deleting all but the last. It
// returns the changed spec; the command reads and updates the Shoot.
package pools

import (
	"fmt"
	"slices"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/names"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootspec"
)

// MaxNameLength is Gardener's limit for a worker pool's name (validation.ValidateWorker).
const MaxNameLength = 15

// Unchanged is a request the shoot already fulfils; the command says so and exits 0.
type Unchanged struct{ Reason string }

func (u *Unchanged) Error() string { return u.Reason }

// Add describes a new pool.
type Add struct {
	Name        string
	MachineType string
	Min, Max    int32
	Zones       []string
	Labels      map[string]string
	Taints      []corev1.Taint
	ForCoco     bool
	TEE         string
}

// ValidateName holds a pool name to Gardener's rules: a DNS label of at most 15 characters.
func ValidateName(name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("pool name %q: %s", name, errs[0])
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("pool name %q is longer than Gardener's %d characters", name, MaxNameLength)
	}
	return nil
}

func find(workers []gardencorev1beta1.Worker, name string) int {
	return slices.IndexFunc(workers, func(w gardencorev1beta1.Worker) bool { return w.Name == name })
}

// AddPool returns the workers with the new pool: the machine type checked against the cloud
// profile (with suggestions), CoCo's requirements with ForCoco, zones from the region that
// offer the type (default: the first pool's), the first pool's image and CRI.
func AddPool(s *gardencorev1beta1.Shoot, spec gardencorev1beta1.CloudProfileSpec, a Add) ([]gardencorev1beta1.Worker, error) {
	workers := slices.Clone(s.Spec.Provider.Workers)
	if len(workers) == 0 {
		return nil, fmt.Errorf("shoot %s has no worker pool to take the image from", s.Name)
	}
	region, err := cloudprofile.FindRegion(spec, s.Spec.Region)
	if err != nil {
		return nil, err
	}
	zones := a.Zones
	if len(zones) == 0 {
		zones = workers[0].Zones
	}
	for _, z := range zones {
		if err := cloudprofile.CheckZone(region, z); err != nil {
			return nil, err
		}
	}
	mt, err := cloudprofile.CheckMachineType(spec, a.MachineType, region, zones)
	if err != nil {
		return nil, err
	}
	if a.ForCoco {
		if err := shootspec.CheckCoco(spec, mt, a.TEE, s.Spec.Kubernetes.Version); err != nil {
			return nil, err
		}
	}
	first := workers[0]
	if arch := cloudprofile.Arch(mt); first.Machine.Architecture != nil && *first.Machine.Architecture != arch {
		return nil, fmt.Errorf("machine type %s is %s, the shoot's first pool %s: its image does not fit; add a pool of the same architecture", a.MachineType, arch, *first.Machine.Architecture)
	}
	labels := a.Labels
	if a.ForCoco {
		labels = mergeLabels(labels, shootspec.CocoWorkerLabels())
	}
	w := gardencorev1beta1.Worker{Name: a.Name, Minimum: a.Min, Maximum: a.Max, Zones: zones, Labels: labels, Taints: a.Taints,
		Machine: gardencorev1beta1.Machine{Type: a.MachineType, Image: first.Machine.Image, Architecture: ptr.To(cloudprofile.Arch(mt))},
		CRI:     first.CRI, Volume: first.Volume}
	if i := find(workers, a.Name); i >= 0 {
		if asked(workers[i], w) {
			return nil, &Unchanged{Reason: fmt.Sprintf("pool %s already exists as asked", a.Name)}
		}
		return nil, fmt.Errorf("pool %s exists with other settings; change its size with: kubectl shoot pool scale %s %s --min N --max M", a.Name, s.Name, a.Name)
	}
	return append(workers, w), nil
}

// asked compares what add sets (Gardener defaults the rest: surge, system components, ...).
func asked(have, want gardencorev1beta1.Worker) bool {
	return have.Machine.Type == want.Machine.Type && have.Minimum == want.Minimum && have.Maximum == want.Maximum &&
		slices.Equal(have.Zones, want.Zones) && equality.Semantic.DeepEqual(nilIfEmpty(have.Labels), nilIfEmpty(want.Labels)) &&
		equality.Semantic.DeepEqual(have.Taints, want.Taints)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func mergeLabels(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Scale returns the workers with the pool's minimum and maximum changed.
func Scale(s *gardencorev1beta1.Shoot, name string, minimum, maximum int32) ([]gardencorev1beta1.Worker, error) {
	workers := slices.Clone(s.Spec.Provider.Workers)
	i := find(workers, name)
	if i < 0 {
		return nil, notFound(s, name)
	}
	if minimum < 0 || maximum < minimum || maximum < 1 {
		return nil, fmt.Errorf("--min %d --max %d: need 0 <= MIN <= MAX and MAX >= 1", minimum, maximum)
	}
	if workers[i].Minimum == minimum && workers[i].Maximum == maximum {
		return nil, &Unchanged{Reason: fmt.Sprintf("pool %s already has %d-%d nodes", name, minimum, maximum)}
	}
	w := workers[i]
	w.Minimum, w.Maximum = minimum, maximum
	workers[i] = w
	return workers, nil
}

// Delete returns the workers without the pool; the last pool stays (a shoot needs one), and
// an absent pool is not an error.
func Delete(s *gardencorev1beta1.Shoot, name string) ([]gardencorev1beta1.Worker, error) {
	workers := s.Spec.Provider.Workers
	i := find(workers, name)
	switch {
	case i < 0:
		return nil, &Unchanged{Reason: fmt.Sprintf("shoot %s has no pool %s", s.Name, name)}
	case len(workers) == 1:
		return nil, fmt.Errorf("pool %s is the shoot's last pool; a shoot needs one (delete the shoot instead: kubectl shoot delete %s)", name, s.Name)
	}
	return slices.Delete(slices.Clone(workers), i, i+1), nil
}

func notFound(s *gardencorev1beta1.Shoot, name string) error {
	var known []string
	for _, w := range s.Spec.Provider.Workers {
		known = append(known, w.Name)
	}
	msg := fmt.Sprintf("shoot %s has no pool %q (pools: %s)", s.Name, name, strings.Join(known, ", "))
	if sug := names.Suggest(name, known, 1); len(sug) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", sug[0])
	}
	return fmt.Errorf("%s", msg)
}

// ParseTaints reads k=v:Effect[,k2:Effect] as kubectl taint does.
func ParseTaints(specs []string) ([]corev1.Taint, error) {
	var out []corev1.Taint
	for _, s := range specs {
		kv, effect, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("taint %q: use key=value:Effect (NoSchedule, PreferNoSchedule or NoExecute)", s)
		}
		k, v, _ := strings.Cut(kv, "=")
		switch corev1.TaintEffect(effect) {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			return nil, fmt.Errorf("taint %q: effect %q is not NoSchedule, PreferNoSchedule or NoExecute", s, effect)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("taint %q: key %s", s, errs[0])
		}
		out = append(out, corev1.Taint{Key: k, Value: v, Effect: corev1.TaintEffect(effect)})
	}
	return out, nil
}
