package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cloudprofile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// MachineTypesOptions lists the machine types a shoot can use.
type MachineTypesOptions struct {
	a            *gardenAccess
	out          output.Flags
	printer      *output.Printer[MachineTypeList]
	CloudProfile string
	Region, Zone string
	Arch         string
	MinCPU       string
	MinMemory    string
	GPU          bool
	All          bool
	filter       cloudprofile.Filter
}

// MachineTypeList is the schema of "machine-types -o json|yaml".
type MachineTypeList struct {
	APIVersion   string                     `json:"apiVersion"`
	Kind         string                     `json:"kind"`
	CloudProfile string                     `json:"cloudProfile"`
	Items        []cloudprofile.MachineType `json:"items"`
}

func newMachineTypesCommand(a *gardenAccess) *cobra.Command {
	o := &MachineTypesOptions{a: a}
	cmd := &cobra.Command{
		Use:     "machine-types",
		Aliases: shootcmd.MachineTypesAliases,
		Short:   shootcmd.MachineTypesShort,
		Example: `  # machine types with at least 8 CPUs and 32Gi in zone eu-de-1a
  kubectl shoot machine-types --region eu-de-1 --zone eu-de-1a --min-cpu 8 --min-memory 32Gi`,
		Args: cli.NoArgs,
		RunE: cli.RunE(withGarden(a, o)),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.CloudProfile, "cloud-profile", "", "CloudProfile or NamespacedCloudProfile (default: the one the project's shoots use)")
	f.StringVar(&o.Region, "region", "", "only types offered in this region")
	f.StringVar(&o.Zone, "zone", "", "only types offered in this zone (needs --region)")
	f.StringVar(&o.Arch, "arch", "", "only this architecture (amd64, arm64, s390x)")
	f.StringVar(&o.MinCPU, "min-cpu", "", "at least this many CPUs")
	f.StringVar(&o.MinMemory, "min-memory", "", "at least this much memory (e.g. 16Gi)")
	f.BoolVar(&o.GPU, "gpu", false, "only types with a GPU")
	f.BoolVar(&o.All, "all", false, "also show types that are not usable or not offered in the zone, with the reason")
	return cmd
}

// Complete reads -o and the quantities.
func (o *MachineTypesOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	o.filter = cloudprofile.Filter{Region: o.Region, Zone: o.Zone, Arch: o.Arch, GPU: o.GPU, All: o.All}
	for _, q := range []struct {
		flag, val string
		dst       **resource.Quantity
	}{{"--min-cpu", o.MinCPU, &o.filter.MinCPU}, {"--min-memory", o.MinMemory, &o.filter.MinMemory}} {
		if q.val == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.val)
		if err != nil {
			return clierr.Usagef("e.g. --min-cpu 4 --min-memory 16Gi", "%s %q is not a quantity", q.flag, q.val)
		}
		*q.dst = &v
	}
	return nil
}

// Validate checks the flag combinations.
func (o *MachineTypesOptions) Validate() error {
	if o.Zone != "" && o.Region == "" {
		return clierr.Usagef("add --region", "--zone needs --region")
	}
	switch o.Arch {
	case "", "amd64", "arm64", "s390x":
	default:
		return clierr.Usagef("use amd64, arm64 or s390x", "unknown architecture %q", o.Arch)
	}
	return nil
}

// Run reads the profile and prints the table.
func (o *MachineTypesOptions) Run(ctx context.Context) error {
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	prof, err := resolveProfile(ctx, gd, p, o.CloudProfile)
	if err != nil {
		return err
	}
	rows, err := cloudprofile.MachineTypes(prof.Spec, o.filter)
	if err != nil {
		fix := ""
		if nf, ok := err.(*cloudprofile.NotFoundError); ok {
			fix = nf.Fix()
		}
		return clierr.Usagef(fix, "cloud profile %s: %v", prof.Name, err)
	}
	r := MachineTypeList{APIVersion: shootstate.APIVersion, Kind: "MachineTypeList", CloudProfile: prof.Name, Items: rows}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

func (o *MachineTypesOptions) printHuman(w io.Writer, r MachineTypeList) error {
	rows := r.Items
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "No machine type of cloud profile %s matches%s.\n", r.CloudProfile, o.describe())
		return err
	}
	t := &output.Table{Headers: []string{"NAME", "CPU", "GPU", "MEMORY", "STORAGE CLASS", "STORAGE SIZE", "ARCHITECTURE"}, NoHeaders: o.out.NoHeaders}
	wide := o.All || o.printer.Format() == output.Wide
	if wide {
		t.Headers = append(t.Headers, "NOTE")
	}
	pal := o.a.g.Palette(w)
	for _, r := range rows {
		row := []output.Cell{output.C(r.Name), output.C(r.CPU), output.C(r.GPU), output.C(r.Memory), output.C(orDash(r.StorageClass)),
			output.C(orDash(r.StorageSize)), output.C(r.Architecture)}
		if wide {
			note := r.Hidden
			if note == "" && len(r.UnavailableIn) > 0 {
				note = "not in " + strings.Join(r.UnavailableIn, ", ")
			}
			row = append(row, output.Cell{Text: note, Paint: pal.Warn})
		}
		t.Add(row...)
	}
	return t.Render(w)
}

func (o *MachineTypesOptions) describe() string {
	var parts []string
	for _, kv := range [][2]string{{"region", o.Region}, {"zone", o.Zone}, {"arch", o.Arch}, {"min-cpu", o.MinCPU}, {"min-memory", o.MinMemory}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if o.GPU {
		parts = append(parts, "gpu")
	}
	if len(parts) == 0 {
		return ""
	}
	s := " " + strings.Join(parts, ", ")
	if !o.All {
		s += " (--all also shows types hidden as unusable or unavailable)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
