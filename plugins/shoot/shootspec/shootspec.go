// Package shootspec builds the Shoot that "kubectl shoot create" submits for an OpenStack
// landscape, checking every name against the CloudProfile first so that mistakes are reported
// with suggestions before any API call.
package shootspec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
)

// Defaults for what the dashboard also fills in.
const (
	DefaultWorkerName     = "worker"
	DefaultNetworkingType = "calico"
	DefaultNodesCIDR      = "10.250.0.0/16"
	ProviderType          = "openstack"
	// maxProjectAndShootName is Gardener's limit on len(project)+len(shoot).
	maxProjectAndShootName = 21
)

// Profile is the cloud profile a shoot refers to, with its effective spec (for a
// NamespacedCloudProfile, the merged spec from its status).
type Profile struct {
	Kind string // CloudProfile or NamespacedCloudProfile
	Name string
	Spec gardencorev1beta1.CloudProfileSpec
}

// Request is what the user asked for; empty fields take defaults.
type Request struct {
	Name, Project, Namespace string
	MachineType              string
	Min, Max                 int32
	KubernetesVersion        string
	Region                   string
	Zones                    []string
	CredentialsBinding       string
	// CredentialsBindings are the project's OpenStack bindings, for the default and for checking.
	CredentialsBindings  []string
	FloatingPool         string
	LoadBalancerProvider string
	NetworkingType       string
	NodesCIDR            string
	Image                string // name or name:version
	Purpose              string
	// From is an existing shoot whose infrastructure settings are reused.
	From    *gardencorev1beta1.Shoot
	Profile Profile
	Now     time.Time
	// ForCoco makes the pool fit for Confidential Containers (CheckCoco, CocoWorkerLabels);
	// TEE ("" or a key of TEEMachineTypes) asks for a TEE machine type.
	ForCoco bool
	TEE     string
}

// InputError is a problem with the request, found before any API call.
type InputError struct {
	Flag string
	Err  error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Fix returns the list of valid values when the error carries one.
func (e *InputError) Fix() string {
	var nf *cloudprofile.NotFoundError
	if errors.As(e.Err, &nf) {
		if f := nf.Fix(); f != "" {
			return f + " (kubectl shoot machine-types shows the machine types)"
		}
	}
	return ""
}

func inputErr(flag string, format string, a ...any) error {
	return &InputError{Flag: flag, Err: fmt.Errorf(format, a...)}
}

var purposes = []string{"evaluation", "testing", "development", "production", "infrastructure"}

// ValidateName checks a shoot name as Gardener will: a DNS label without "--", and at most 21
// characters together with the project name.
func ValidateName(name, project string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return inputErr("NAME", "shoot name %q is not valid: %s", name, strings.Join(errs, "; "))
	}
	if strings.Contains(name, "--") {
		return inputErr("NAME", "shoot name %q must not contain \"--\"", name)
	}
	if project != "" && len(project)+len(name) > maxProjectAndShootName {
		return inputErr("NAME", "shoot name %q is too long: project and shoot name together may have at most %d characters (project %q leaves %d)",
			name, maxProjectAndShootName, project, max(0, maxProjectAndShootName-len(project)))
	}
	return nil
}

var cidr = regexp.MustCompile(`^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$`)

// Build returns the Shoot and warnings (preview or deprecated versions, deprecated fields copied
// from --from). Each setting is resolved by its own step: the flag, else the --from shoot, else
// the cloud profile's default.
func Build(r Request) (*gardencorev1beta1.Shoot, []string, error) {
	if err := validateRequest(r); err != nil {
		return nil, nil, err
	}
	spec := r.Profile.Spec
	region, rg, err := resolveRegion(r)
	if err != nil {
		return nil, nil, err
	}
	mt, err := cloudprofile.CheckMachineType(spec, r.MachineType, nil, nil)
	if err != nil {
		return nil, nil, &InputError{Flag: "--machine-type", Err: err}
	}
	zones, err := resolveZones(r, rg)
	if err != nil {
		return nil, nil, err
	}
	arch := cloudprofile.Arch(mt)
	k8s, warning, err := resolveVersion(r)
	if err != nil {
		return nil, nil, err
	}
	if r.ForCoco {
		if err := CheckCoco(spec, mt, r.TEE, k8s); err != nil {
			return nil, nil, err
		}
	}
	img, err := resolveImage(r, arch)
	if err != nil {
		return nil, nil, err
	}
	cb, err := resolveCredentials(r)
	if err != nil {
		return nil, nil, err
	}
	netType, nodes, err := resolveNetworking(r)
	if err != nil {
		return nil, nil, err
	}
	infra, cp, err := providerConfigs(r, region, nodes)
	if err != nil {
		return nil, nil, err
	}
	shoot := assemble(r, shootParts{region: region, zones: zones, arch: arch, k8s: k8s, img: img, cb: cb, netType: netType, nodes: nodes, infra: infra, cp: cp})
	if r.ForCoco {
		shoot.Spec.Provider.Workers[0].Labels = CocoWorkerLabels()
	}
	if mt.Storage == nil && len(spec.VolumeTypes) > 0 {
		shoot.Spec.Provider.Workers[0].Volume = &gardencorev1beta1.Volume{Type: ptr.To(spec.VolumeTypes[0].Name), VolumeSize: "50Gi"}
	}
	var warnings []string
	if warning != "" {
		warnings = append(warnings, warning)
	}
	return shoot, warnings, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
