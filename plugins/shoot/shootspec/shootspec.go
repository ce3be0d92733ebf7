// Package shootspec builds the Shoot that "kubectl shoot create" submits for an OpenStack
// landscape, checking every name against the CloudProfile first so that mistakes are reported
// with suggestions before any API call.
package shootspec

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
// from --from).
func Build(r Request) (*gardencorev1beta1.Shoot, []string, error) {
	var warnings []string
	if err := ValidateName(r.Name, r.Project); err != nil {
		return nil, nil, err
	}
	if r.Profile.Spec.Type != "" && r.Profile.Spec.Type != ProviderType {
		return nil, nil, inputErr("--cloud-profile", "cloud profile %s is for %q; this command creates OpenStack shoots", r.Profile.Name, r.Profile.Spec.Type)
	}
	if r.Min < 1 || r.Max < r.Min {
		return nil, nil, inputErr("--workers", "--workers %d:%d is not valid: use MIN:MAX with 1 <= MIN <= MAX", r.Min, r.Max)
	}
	if r.Purpose != "" && !slices.Contains(purposes, r.Purpose) {
		return nil, nil, inputErr("--purpose", "purpose %q is not one of %s", r.Purpose, strings.Join(purposes, ", "))
	}
	spec := r.Profile.Spec
	from := r.From
	if from != nil && from.Spec.Provider.Type != ProviderType {
		return nil, nil, inputErr("--from", "shoot %s runs on %q, not OpenStack", from.Name, from.Spec.Provider.Type)
	}

	// Region and zones.
	region := r.Region
	if region == "" && from != nil {
		region = from.Spec.Region
	}
	if region == "" {
		if len(spec.Regions) != 1 {
			var names []string
			for _, rg := range spec.Regions {
				names = append(names, rg.Name)
			}
			return nil, nil, inputErr("--region", "the cloud profile has %d regions: pass --region (one of %s)", len(spec.Regions), strings.Join(names, ", "))
		}
		region = spec.Regions[0].Name
	}
	rg, err := cloudprofile.FindRegion(spec, region)
	if err != nil {
		return nil, nil, &InputError{Flag: "--region", Err: err}
	}
	mt, err := cloudprofile.CheckMachineType(spec, r.MachineType, nil, nil)
	if err != nil {
		return nil, nil, &InputError{Flag: "--machine-type", Err: err}
	}
	zones := r.Zones
	if len(zones) == 0 && from != nil && len(from.Spec.Provider.Workers) > 0 {
		zones = from.Spec.Provider.Workers[0].Zones
	}
	for _, z := range zones {
		if err := cloudprofile.CheckZone(rg, z); err != nil {
			return nil, nil, &InputError{Flag: "--zones", Err: err}
		}
	}
	if len(zones) == 0 {
		avail := cloudprofile.ZonesFor(rg, r.MachineType)
		if len(avail) == 0 {
			return nil, nil, inputErr("--machine-type", "machine type %q is not available in any zone of region %s", r.MachineType, region)
		}
		zones = avail[:1]
	}
	if _, err := cloudprofile.CheckMachineType(spec, r.MachineType, rg, zones); err != nil {
		return nil, nil, &InputError{Flag: "--zones", Err: fmt.Errorf("%w; zones that offer it: %s", err, strings.Join(cloudprofile.ZonesFor(rg, r.MachineType), ", "))}
	}
	arch := cloudprofile.Arch(mt)

	// Kubernetes version.
	k8s := r.KubernetesVersion
	if k8s == "" {
		var ok bool
		if k8s, ok = cloudprofile.DefaultVersion(spec.Kubernetes.Versions, r.Now); !ok {
			return nil, nil, inputErr("--kubernetes-version", "the cloud profile offers no supported Kubernetes version: pass --kubernetes-version")
		}
	} else {
		v, warn, err := cloudprofile.ResolveVersion(spec.Kubernetes.Versions, k8s, r.Now)
		if err != nil {
			return nil, nil, &InputError{Flag: "--kubernetes-version", Err: err}
		}
		k8s = v
		if warn != "" {
			warnings = append(warnings, warn)
		}
	}

	// Machine image.
	imgName, imgVersion, _ := strings.Cut(r.Image, ":")
	if imgName == "" && from != nil && len(from.Spec.Provider.Workers) > 0 && from.Spec.Provider.Workers[0].Machine.Image != nil {
		imgName = from.Spec.Provider.Workers[0].Machine.Image.Name
	}
	img, err := cloudprofile.PickImage(spec.MachineImages, imgName, imgVersion, arch, r.Now)
	if err != nil {
		return nil, nil, &InputError{Flag: "--image", Err: err}
	}

	// Credentials.
	cb := r.CredentialsBinding
	if cb == "" && from != nil && from.Spec.CredentialsBindingName != nil {
		cb = *from.Spec.CredentialsBindingName
	}
	if cb == "" {
		switch len(r.CredentialsBindings) {
		case 0:
			return nil, nil, inputErr("--credentials-binding", "project %s has no CredentialsBinding for OpenStack: add your OpenStack credentials in the Gardener dashboard (Credentials) or pass --credentials-binding", r.Project)
		case 1:
			cb = r.CredentialsBindings[0]
		default:
			return nil, nil, inputErr("--credentials-binding", "project %s has %d OpenStack credentials bindings: pass --credentials-binding (one of %s)", r.Project, len(r.CredentialsBindings), strings.Join(r.CredentialsBindings, ", "))
		}
	} else if r.CredentialsBindings != nil && !slices.Contains(r.CredentialsBindings, cb) {
		return nil, nil, &InputError{Flag: "--credentials-binding", Err: &cloudprofile.NotFoundError{What: "OpenStack credentials binding", Name: cb, Known: r.CredentialsBindings, Where: "in project " + r.Project}}
	}

	// Networking and provider configs.
	netType, nodes := r.NetworkingType, r.NodesCIDR
	if from != nil && from.Spec.Networking != nil {
		if netType == "" && from.Spec.Networking.Type != nil {
			netType = *from.Spec.Networking.Type
		}
		if nodes == "" && from.Spec.Networking.Nodes != nil {
			nodes = *from.Spec.Networking.Nodes
		}
	}
	netType = orDefault(netType, DefaultNetworkingType)
	nodes = orDefault(nodes, DefaultNodesCIDR)
	if !cidr.MatchString(nodes) {
		return nil, nil, inputErr("--nodes-cidr", "%q is not an IPv4 CIDR such as 10.250.0.0/16", nodes)
	}

	pool, lb := profileDefaults(spec.ProviderConfig, region)
	var infra, cp *runtime.RawExtension
	if from != nil {
		infra, cp = from.Spec.Provider.InfrastructureConfig, from.Spec.Provider.ControlPlaneConfig
	}
	if infra == nil || r.FloatingPool != "" || r.NodesCIDR != "" {
		ic := infrastructureConfig{APIVersion: openstackAPIVersion, Kind: "InfrastructureConfig", FloatingPoolName: orDefault(r.FloatingPool, pool)}
		ic.Networks.Workers = nodes
		if ic.FloatingPoolName == "" {
			return nil, nil, inputErr("--floating-pool", "the cloud profile names no floating pool for region %s: pass --floating-pool (ask your landscape admin for the name)", region)
		}
		infra = raw(ic)
	}
	if cp == nil || r.LoadBalancerProvider != "" {
		if l := orDefault(r.LoadBalancerProvider, lb); l != "" {
			cp = raw(controlPlaneConfig{APIVersion: openstackAPIVersion, Kind: "ControlPlaneConfig", LoadBalancerProvider: l})
		}
	}

	shoot := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace},
		Spec: gardencorev1beta1.ShootSpec{
			CloudProfile:           &gardencorev1beta1.CloudProfileReference{Kind: orDefault(r.Profile.Kind, "CloudProfile"), Name: r.Profile.Name},
			Region:                 region,
			CredentialsBindingName: ptr.To(cb),
			Kubernetes:             gardencorev1beta1.Kubernetes{Version: k8s},
			Networking:             &gardencorev1beta1.Networking{Type: ptr.To(netType), Nodes: ptr.To(nodes)},
			Provider: gardencorev1beta1.Provider{
				Type:                 ProviderType,
				InfrastructureConfig: infra,
				ControlPlaneConfig:   cp,
				Workers: []gardencorev1beta1.Worker{{
					Name: DefaultWorkerName,
					Machine: gardencorev1beta1.Machine{
						Type:         r.MachineType,
						Image:        &gardencorev1beta1.ShootMachineImage{Name: img.Name, Version: ptr.To(img.Version)},
						Architecture: ptr.To(arch),
					},
					CRI:     &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD},
					Minimum: r.Min,
					Maximum: r.Max,
					Zones:   zones,
				}},
			},
		},
	}
	if mt.Storage == nil && len(spec.VolumeTypes) > 0 {
		shoot.Spec.Provider.Workers[0].Volume = &gardencorev1beta1.Volume{Type: ptr.To(spec.VolumeTypes[0].Name), VolumeSize: "50Gi"}
	}
	if r.Purpose != "" {
		shoot.Spec.Purpose = ptr.To(gardencorev1beta1.ShootPurpose(r.Purpose))
	} else if from != nil && from.Spec.Purpose != nil {
		shoot.Spec.Purpose = from.Spec.Purpose
	}
	return shoot, warnings, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
