package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

func newConfigCommand(a *gardenAccess) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: shootcmd.ConfigShort,
		Long: `The garden config lists your gardens: an identity, the garden kubeconfig, and optional
context, alias, patterns and default access level. The file is found as gardenctl-v2 finds it:
name $GCTL_CONFIG_NAME (without extension; default gardenctl-v2) in $GCTL_HOME, then ~/.garden.
gardenlogin reads ~/.garden/gardenlogin.yaml first when it exists ('kubectl shoot doctor' says
which file it reads). Fields and comments this tool does not know are kept; a file gardenctl
wrote is written back as gardenctl writes it.`,
		Args: cli.NoArgs,
	}
	cmd.AddCommand(newSetGardenCommand(a), newConfigViewCommand(a), newDeleteGardenCommand(a))
	return cmd
}

// ConfigViewOptions prints the garden config.
type ConfigViewOptions struct {
	a       *gardenAccess
	out     output.Flags
	printer *output.Printer[configFile]
}

func newConfigViewCommand(a *gardenAccess) *cobra.Command {
	o := &ConfigViewOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Print the garden config (YAML as stored, or -o json)",
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o.
func (o *ConfigViewOptions) Complete([]string) error {
	var err error
	o.printer, err = output.ToPrinter(&o.out, printConfigFile)
	return err
}

// Validate has nothing to check.
func (o *ConfigViewOptions) Validate() error { return nil }

// Run prints the file after checking that it parses.
func (o *ConfigViewOptions) Run(context.Context) error {
	loc := o.a.location()
	data, err := os.ReadFile(loc.Path)
	if errors.Is(err, os.ErrNotExist) {
		return clierr.Failf("kubectl shoot config set-garden <identity> --kubeconfig <path>", "no garden config at %s", loc.Path)
	}
	if err != nil {
		return clierr.Wrap(err, "reading %s", loc.Path)
	}
	cfg, err := gardenconfig.Parse(data)
	if err != nil {
		return clierr.Usagef("fix the file by hand", "the garden config %s is not valid: %v", loc.Path, err)
	}
	for _, w := range cfg.Warnings {
		o.a.g.Warn(fmt.Sprintf("%s (%s)", w, w.Fix))
	}
	for _, p := range cfg.Problems {
		o.a.g.Warn(fmt.Sprintf("gardenctl refuses this file until this is fixed: %s (%s)", p, p.Fix))
	}
	return o.printer.Print(o.a.g.Streams.Out, configFile(data))
}

// configFile is the garden config as stored: YAML (comments kept) for people and -o yaml, its
// JSON for the other formats.
type configFile []byte

func (c configFile) MarshalJSON() ([]byte, error) { return yaml.YAMLToJSON(c) }

// YAMLDocument keeps the file as it is.
func (c configFile) YAMLDocument() ([]byte, error) { return c, nil }

func printConfigFile(w io.Writer, c configFile) error {
	_, err := w.Write(c)
	return err
}

// DeleteGardenOptions removes a garden from the config.
type DeleteGardenOptions struct {
	a        *gardenAccess
	Identity string
}

func newDeleteGardenCommand(a *gardenAccess) *cobra.Command {
	o := &DeleteGardenOptions{a: a}
	return &cobra.Command{
		Use:   "delete-garden IDENTITY",
		Short: "Remove a garden from the garden config (its kubeconfig file is left alone)",
		Args:  cli.ExactArgs(1, "the garden identity"),
		RunE:  cli.RunE(o),
	}
}

// Complete reads the identity.
func (o *DeleteGardenOptions) Complete(args []string) error { o.Identity = args[0]; return nil }

// Validate has nothing to check.
func (o *DeleteGardenOptions) Validate() error { return nil }

// Run removes the entry; a missing garden is not an error (idempotent).
func (o *DeleteGardenOptions) Run(context.Context) error {
	loc := o.a.location()
	cfg, err := gardenconfig.Load(loc.Path)
	if errors.Is(err, gardenconfig.ErrNotExist) {
		fmt.Fprintf(o.a.g.Streams.Out, "no garden config at %s: nothing to delete\n", loc.Path)
		return nil
	}
	if err != nil {
		return clierr.Usagef("fix the file by hand", "the garden config %s is not valid: %v", loc.Path, err)
	}
	if !cfg.DeleteGarden(o.Identity) {
		fmt.Fprintf(o.a.g.Streams.Out, "garden %s is not in %s: nothing to delete\n", o.Identity, loc.Path)
		return nil
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(loc.Path, data, 0o600); err != nil {
		return clierr.Wrap(err, "writing %s", loc.Path)
	}
	fmt.Fprintf(o.a.g.Streams.Out, "garden %s deleted from %s\n", o.Identity, loc.Path)
	return nil
}
