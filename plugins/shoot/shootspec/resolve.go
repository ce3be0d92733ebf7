package shootspec

import (
	"fmt"
	"slices"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
)

// validateRequest checks what needs no lookup in the profile.
func validateRequest(r Request) error {
	if err := ValidateName(r.Name, r.Project); err != nil {
		return err
	}
	if r.Profile.Spec.Type != "" && r.Profile.Spec.Type != ProviderType {
		return inputErr("--cloud-profile", "cloud profile %s is for %q; this command creates OpenStack shoots", r.Profile.Name, r.Profile.Spec.Type)
	}
	if r.Min < 1 || r.Max < r.Min {
		return inputErr("--workers", "--workers %d:%d is not valid: use MIN:MAX with 1 <= MIN <= MAX", r.Min, r.Max)
	}
	if r.Purpose != "" && !slices.Contains(purposes, r.Purpose) {
		return inputErr("--purpose", "purpose %q is not one of %s", r.Purpose, strings.Join(purposes, ", "))
	}
	if r.From != nil && r.From.Spec.Provider.Type != ProviderType {
		return inputErr("--from", "shoot %s runs on %q, not OpenStack", r.From.Name, r.From.Spec.Provider.Type)
	}
	if r.TEE != "" {
		return inputErr("--tee", "--tee %s: %s", r.TEE, SGXDropped)
	}
	return nil
}

// fromWorker is the first worker pool of the --from shoot, if any.
func fromWorker(r Request) *gardencorev1beta1.Worker {
	if r.From == nil || len(r.From.Spec.Provider.Workers) == 0 {
		return nil
	}
	return &r.From.Spec.Provider.Workers[0]
}

// resolveRegion: --region, else the --from shoot's, else the profile's only region.
func resolveRegion(r Request) (string, *gardencorev1beta1.Region, error) {
	spec := r.Profile.Spec
	region := r.Region
	if region == "" && r.From != nil {
		region = r.From.Spec.Region
	}
	if region == "" {
		if len(spec.Regions) != 1 {
			var names []string
			for _, rg := range spec.Regions {
				names = append(names, rg.Name)
			}
			return "", nil, inputErr("--region", "the cloud profile has %d regions: pass --region (one of %s)", len(spec.Regions), strings.Join(names, ", "))
		}
		region = spec.Regions[0].Name
	}
	rg, err := cloudprofile.FindRegion(spec, region)
	if err != nil {
		return "", nil, &InputError{Flag: "--region", Err: err}
	}
	return region, rg, nil
}

// resolveZones: --zones, else the --from shoot's, else the first zone that offers the machine
// type; the machine type must be offered in every zone.
func resolveZones(r Request, rg *gardencorev1beta1.Region) ([]string, error) {
	zones := r.Zones
	if w := fromWorker(r); len(zones) == 0 && w != nil {
		zones = w.Zones
	}
	for _, z := range zones {
		if err := cloudprofile.CheckZone(rg, z); err != nil {
			return nil, &InputError{Flag: "--zones", Err: err}
		}
	}
	if len(zones) == 0 {
		avail := cloudprofile.ZonesFor(rg, r.MachineType)
		if len(avail) == 0 {
			return nil, inputErr("--machine-type", "machine type %q is not available in any zone of region %s", r.MachineType, rg.Name)
		}
		zones = avail[:1]
	}
	if _, err := cloudprofile.CheckMachineType(r.Profile.Spec, r.MachineType, rg, zones); err != nil {
		return nil, &InputError{Flag: "--zones", Err: fmt.Errorf("%w; zones that offer it: %s", err, strings.Join(cloudprofile.ZonesFor(rg, r.MachineType), ", "))}
	}
	return zones, nil
}

// resolveVersion: the newest supported version, or the one --kubernetes-version names (with a
// warning for preview and deprecated versions).
func resolveVersion(r Request) (version, warning string, err error) {
	versions := r.Profile.Spec.Kubernetes.Versions
	if r.KubernetesVersion == "" {
		v, ok := cloudprofile.DefaultVersion(versions, r.Now)
		if !ok {
			return "", "", inputErr("--kubernetes-version", "the cloud profile offers no supported Kubernetes version: pass --kubernetes-version")
		}
		return v, "", nil
	}
	v, warn, err := cloudprofile.ResolveVersion(versions, r.KubernetesVersion, r.Now)
	if err != nil {
		return "", "", &InputError{Flag: "--kubernetes-version", Err: err}
	}
	return v, warn, nil
}

// resolveImage: --image (name or name:version), else the --from shoot's image name, at the
// profile's current version for the architecture.
func resolveImage(r Request, arch string) (cloudprofile.Image, error) {
	name, version, _ := strings.Cut(r.Image, ":")
	if w := fromWorker(r); name == "" && w != nil && w.Machine.Image != nil {
		name = w.Machine.Image.Name
	}
	img, err := cloudprofile.PickImage(r.Profile.Spec.MachineImages, name, version, arch, r.Now)
	if err != nil {
		return img, &InputError{Flag: "--image", Err: err}
	}
	return img, nil
}

// resolveCredentials: --credentials-binding, else the --from shoot's, else the project's only
// OpenStack binding.
func resolveCredentials(r Request) (string, error) {
	cb := r.CredentialsBinding
	if cb == "" && r.From != nil && r.From.Spec.CredentialsBindingName != nil {
		cb = *r.From.Spec.CredentialsBindingName
	}
	switch {
	case cb != "" && r.CredentialsBindings != nil && !slices.Contains(r.CredentialsBindings, cb):
		return "", &InputError{Flag: "--credentials-binding", Err: &cloudprofile.NotFoundError{What: "OpenStack credentials binding", Name: cb, Known: r.CredentialsBindings, Where: "in project " + r.Project}}
	case cb != "":
		return cb, nil
	case len(r.CredentialsBindings) == 1:
		return r.CredentialsBindings[0], nil
	case len(r.CredentialsBindings) == 0:
		return "", inputErr("--credentials-binding", "project %s has no CredentialsBinding for OpenStack: add your OpenStack credentials in the Gardener dashboard (Credentials) or pass --credentials-binding", r.Project)
	}
	return "", inputErr("--credentials-binding", "project %s has %d OpenStack credentials bindings: pass --credentials-binding (one of %s)", r.Project, len(r.CredentialsBindings), strings.Join(r.CredentialsBindings, ", "))
}

// resolveNetworking: the flags, else the --from shoot's, else calico on 10.250.0.0/16.
func resolveNetworking(r Request) (netType, nodes string, err error) {
	netType, nodes = r.NetworkingType, r.NodesCIDR
	if r.From != nil && r.From.Spec.Networking != nil {
		if netType == "" && r.From.Spec.Networking.Type != nil {
			netType = *r.From.Spec.Networking.Type
		}
		if nodes == "" && r.From.Spec.Networking.Nodes != nil {
			nodes = *r.From.Spec.Networking.Nodes
		}
	}
	netType, nodes = orDefault(netType, DefaultNetworkingType), orDefault(nodes, DefaultNodesCIDR)
	if !cidr.MatchString(nodes) {
		return "", "", inputErr("--nodes-cidr", "%q is not an IPv4 CIDR such as 10.250.0.0/16", nodes)
	}
	return netType, nodes, nil
}

// providerConfigs: the --from shoot's InfrastructureConfig and ControlPlaneConfig, or new ones
// from the flags and the profile's defaults for the region (a flag given replaces the copy).
func providerConfigs(r Request, region, nodes string) (infra, cp *runtime.RawExtension, err error) {
	pool, lb := profileDefaults(r.Profile.Spec.ProviderConfig, region)
	if r.From != nil {
		infra, cp = r.From.Spec.Provider.InfrastructureConfig, r.From.Spec.Provider.ControlPlaneConfig
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
	return infra, cp, nil
}

// shootParts are the resolved settings.
type shootParts struct {
	region, arch, k8s, cb, netType, nodes string
	zones                                 []string
	img                                   cloudprofile.Image
	infra, cp                             *runtime.RawExtension
}

// assemble builds the Shoot from the resolved settings.
func assemble(r Request, p shootParts) *gardencorev1beta1.Shoot {
	shoot := &gardencorev1beta1.Shoot{
		TypeMeta:   metav1.TypeMeta{APIVersion: gardencorev1beta1.SchemeGroupVersion.String(), Kind: "Shoot"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace},
		Spec: gardencorev1beta1.ShootSpec{
			CloudProfile:           &gardencorev1beta1.CloudProfileReference{Kind: orDefault(r.Profile.Kind, "CloudProfile"), Name: r.Profile.Name},
			Region:                 p.region,
			CredentialsBindingName: ptr.To(p.cb),
			Kubernetes:             gardencorev1beta1.Kubernetes{Version: p.k8s},
			Networking:             &gardencorev1beta1.Networking{Type: ptr.To(p.netType), Nodes: ptr.To(p.nodes)},
			Provider: gardencorev1beta1.Provider{
				Type:                 ProviderType,
				InfrastructureConfig: p.infra,
				ControlPlaneConfig:   p.cp,
				Workers: []gardencorev1beta1.Worker{{
					Name: DefaultWorkerName,
					Machine: gardencorev1beta1.Machine{
						Type:         r.MachineType,
						Image:        &gardencorev1beta1.ShootMachineImage{Name: p.img.Name, Version: ptr.To(p.img.Version)},
						Architecture: ptr.To(p.arch),
					},
					CRI:     &gardencorev1beta1.CRI{Name: gardencorev1beta1.CRINameContainerD},
					Minimum: r.Min,
					Maximum: r.Max,
					Zones:   p.zones,
				}},
			},
		},
	}
	if r.Purpose != "" {
		shoot.Spec.Purpose = ptr.To(gardencorev1beta1.ShootPurpose(r.Purpose))
	} else if r.From != nil && r.From.Spec.Purpose != nil {
		shoot.Spec.Purpose = r.From.Spec.Purpose
	}
	return shoot
}
