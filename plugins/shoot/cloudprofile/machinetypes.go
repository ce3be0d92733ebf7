package cloudprofile

import (
	"fmt"
	"slices"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// MachineType is one row of the machine-type table (the guide's columns), with why it may not be
// usable where the user wants it.
type MachineType struct {
	Name         string `json:"name"`
	CPU          string `json:"cpu"`
	GPU          string `json:"gpu"`
	Memory       string `json:"memory"`
	StorageClass string `json:"storageClass,omitempty"`
	StorageSize  string `json:"storageSize,omitempty"`
	Architecture string `json:"architecture"`
	Usable       bool   `json:"usable"`
	// UnavailableIn lists the zones (of the chosen region, or of all regions) that do not offer it.
	UnavailableIn []string `json:"unavailableIn,omitempty"`
	// Hidden says why the default listing leaves it out ("" when shown).
	Hidden string `json:"hidden,omitempty"`
}

// Filter selects machine types.
type Filter struct {
	Region, Zone string
	Arch         string
	MinCPU       *resource.Quantity
	MinMemory    *resource.Quantity
	GPU          bool
	// All keeps unusable types and those unavailable in the zone (marked Hidden).
	All bool
}

// Arch returns a machine type's architecture (Gardener's default is amd64).
func Arch(mt gardencorev1beta1.MachineType) string {
	if mt.Architecture != nil && *mt.Architecture != "" {
		return *mt.Architecture
	}
	return "amd64"
}

// FindRegion returns the region with this name.
func FindRegion(spec gardencorev1beta1.CloudProfileSpec, name string) (*gardencorev1beta1.Region, error) {
	var names []string
	for i, r := range spec.Regions {
		if r.Name == name {
			return &spec.Regions[i], nil
		}
		names = append(names, r.Name)
	}
	return nil, &NotFoundError{What: "region", Name: name, Known: names}
}

// CheckZone says whether zone exists in region.
func CheckZone(region *gardencorev1beta1.Region, zone string) error {
	var names []string
	for _, z := range region.Zones {
		if z.Name == zone {
			return nil
		}
		names = append(names, z.Name)
	}
	return &NotFoundError{What: "zone", Name: zone, Known: names, Where: "in region " + region.Name}
}

// MachineTypes lists the profile's machine types in its own order, filtered. Types filtered out
// by size, architecture or GPU are dropped; unusable ones and those unavailable in the zone are
// dropped too unless All is set, in which case Hidden says why the default view would hide them.
func MachineTypes(spec gardencorev1beta1.CloudProfileSpec, f Filter) ([]MachineType, error) {
	zones, err := zonesOf(spec, f.Region, f.Zone)
	if err != nil {
		return nil, err
	}
	out := []MachineType{}
	for _, mt := range spec.MachineTypes {
		if f.Arch != "" && Arch(mt) != f.Arch {
			continue
		}
		if f.MinCPU != nil && mt.CPU.Cmp(*f.MinCPU) < 0 {
			continue
		}
		if f.MinMemory != nil && mt.Memory.Cmp(*f.MinMemory) < 0 {
			continue
		}
		if f.GPU && mt.GPU.IsZero() {
			continue
		}
		row := MachineType{Name: mt.Name, CPU: mt.CPU.String(), GPU: mt.GPU.String(), Memory: mt.Memory.String(),
			Architecture: Arch(mt), Usable: mt.Usable == nil || *mt.Usable}
		if mt.Storage != nil {
			row.StorageClass = mt.Storage.Class
			if mt.Storage.StorageSize != nil {
				row.StorageSize = mt.Storage.StorageSize.String()
			}
		}
		for _, z := range zones {
			if slices.Contains(z.UnavailableMachineTypes, mt.Name) {
				row.UnavailableIn = append(row.UnavailableIn, z.Name)
			}
		}
		switch {
		case !row.Usable:
			row.Hidden = "marked not usable in the cloud profile"
		case len(zones) > 0 && len(row.UnavailableIn) == len(zones):
			row.Hidden = "unavailable in " + where(f)
		}
		if row.Hidden != "" && !f.All {
			continue
		}
		out = append(out, row)
	}
	return out, nil
}

func where(f Filter) string {
	if f.Zone != "" {
		return "zone " + f.Zone
	}
	if f.Region != "" {
		return "every zone of region " + f.Region
	}
	return "every zone"
}

func zonesOf(spec gardencorev1beta1.CloudProfileSpec, region, zone string) ([]gardencorev1beta1.AvailabilityZone, error) {
	if zone != "" && region == "" {
		return nil, fmt.Errorf("--zone needs --region")
	}
	if region == "" {
		var all []gardencorev1beta1.AvailabilityZone
		for _, r := range spec.Regions {
			all = append(all, r.Zones...)
		}
		return all, nil
	}
	r, err := FindRegion(spec, region)
	if err != nil {
		return nil, err
	}
	if zone == "" {
		return r.Zones, nil
	}
	if err := CheckZone(r, zone); err != nil {
		return nil, err
	}
	for _, z := range r.Zones {
		if z.Name == zone {
			return []gardencorev1beta1.AvailabilityZone{z}, nil
		}
	}
	return nil, nil
}

// CheckMachineType says whether a machine type can run workers in the given zones, with
// suggestions when the name is wrong.
func CheckMachineType(spec gardencorev1beta1.CloudProfileSpec, name string, region *gardencorev1beta1.Region, zones []string) (gardencorev1beta1.MachineType, error) {
	var names []string
	for _, mt := range spec.MachineTypes {
		if mt.Usable == nil || *mt.Usable {
			names = append(names, mt.Name)
		}
	}
	for _, mt := range spec.MachineTypes {
		if mt.Name != name {
			continue
		}
		if mt.Usable != nil && !*mt.Usable {
			return mt, fmt.Errorf("machine type %q is marked not usable in the cloud profile", name)
		}
		if region != nil {
			for _, z := range region.Zones {
				if slices.Contains(zones, z.Name) && slices.Contains(z.UnavailableMachineTypes, name) {
					return mt, fmt.Errorf("machine type %q is not available in zone %s", name, z.Name)
				}
			}
		}
		return mt, nil
	}
	return gardencorev1beta1.MachineType{}, &NotFoundError{What: "machine type", Name: name, Known: names}
}

// ZonesFor returns the zones of region that offer the machine type, in profile order.
func ZonesFor(region *gardencorev1beta1.Region, machineType string) []string {
	var out []string
	for _, z := range region.Zones {
		if !slices.Contains(z.UnavailableMachineTypes, machineType) {
			out = append(out, z.Name)
		}
	}
	return out
}
