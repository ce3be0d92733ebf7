package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/atomicfile"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/gardenconfig"
)

func newConfigCommand(a *gardenAccess) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and edit the garden config shared with gardenctl and gardenlogin",
		Long: `The garden config lists your gardens: an identity, the garden kubeconfig, and optional
context, alias and patterns. gardenctl-v2 and gardenlogin read the same file
($GCTL_HOME or ~/.garden, file $GCTL_CONFIG_NAME or gardenctl-v2, .yaml); fields this tool does
not know are kept as they are.`,
		Args: cli.NoArgs,
	}
	cmd.AddCommand(newSetGardenCommand(a), newConfigViewCommand(a), newDeleteGardenCommand(a))
	return cmd
}

// SetGardenOptions adds or updates a garden.
type SetGardenOptions struct {
	a          *gardenAccess
	Identity   string
	Kubeconfig string
	Context    string
	Alias      string
	Patterns   []string
	DryRun     bool
}

var identityRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func newSetGardenCommand(a *gardenAccess) *cobra.Command {
	o := &SetGardenOptions{a: a}
	cmd := &cobra.Command{
		Use:   "set-garden IDENTITY --kubeconfig PATH [--context CONTEXT]",
		Short: "Add a garden to the garden config, or update its kubeconfig and context",
		Example: `  # the guide's garden "fg1" with the kubeconfig downloaded from the dashboard
  kubectl shoot config set-garden fg1 --kubeconfig ~/.garden/kubeconfig-garden-eco.yaml`,
		Args: cli.ExactArgs(1, "the garden identity"),
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "the garden kubeconfig (stored as an absolute path)")
	f.StringVar(&o.Context, "context", "", "context of that kubeconfig to use (default: its current context)")
	f.StringVar(&o.Alias, "name", "", "an alias for the garden")
	f.StringArrayVar(&o.Patterns, "pattern", nil, "a gardenctl target pattern (repeatable; replaces the garden's patterns)")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the resulting config instead of writing it")
	return cmd
}

// Complete reads the identity and makes the kubeconfig path absolute.
func (o *SetGardenOptions) Complete(args []string) error {
	o.Identity = args[0]
	if o.Kubeconfig != "" {
		p := gardenconfig.ExpandTilde(os.ExpandEnv(o.Kubeconfig), home())
		abs, err := filepath.Abs(p)
		if err != nil {
			return clierr.Usagef("pass an absolute path", "cannot make %q absolute: %v", o.Kubeconfig, err)
		}
		o.Kubeconfig = abs
	}
	return nil
}

// Validate checks the identity and that the kubeconfig is readable and has the context.
func (o *SetGardenOptions) Validate() error {
	if !identityRE.MatchString(o.Identity) {
		return clierr.Usagef("use letters, digits, '.', '_' and '-' (e.g. fg1)", "garden identity %q is not valid", o.Identity)
	}
	if o.Kubeconfig == "" {
		return nil
	}
	kc, err := clientcmd.LoadFromFile(o.Kubeconfig)
	if err != nil {
		return clierr.Usagef("download the garden kubeconfig from the Gardener dashboard (My Account > Access) and pass its path",
			"--kubeconfig %s is not a readable kubeconfig: %v", o.Kubeconfig, unwrapPath(err))
	}
	ctx := o.Context
	if ctx == "" {
		ctx = kc.CurrentContext
	}
	if _, ok := kc.Contexts[ctx]; !ok {
		var names []string
		for n := range kc.Contexts {
			names = append(names, n)
		}
		return clierr.Usagef("pass --context with one of: "+strings.Join(names, ", "), "%s has no context %q", o.Kubeconfig, ctx)
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Run edits and writes the config atomically (mode 0600).
func (o *SetGardenOptions) Run(context.Context) error {
	loc := o.a.location()
	cfg, err := gardenconfig.Load(loc.Path)
	if errors.Is(err, gardenconfig.ErrNotExist) {
		cfg, err = gardenconfig.Parse(nil)
	}
	if err != nil {
		return clierr.Usagef("fix the file by hand (nothing was changed)", "the garden config %s is not valid: %v", loc.Path, err)
	}
	if _, exists := cfg.Find(o.Identity); !exists && o.Kubeconfig == "" {
		return clierr.Usagef("pass --kubeconfig with the garden kubeconfig", "garden %s is new, so --kubeconfig is required", o.Identity)
	}
	created, changed := cfg.SetGarden(gardenconfig.Garden{Identity: o.Identity, Name: o.Alias, Kubeconfig: o.Kubeconfig, Context: o.Context, Patterns: o.Patterns})
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	out := o.a.g.Streams.Out
	if o.DryRun {
		_, err = out.Write(data)
		return err
	}
	if !changed {
		fmt.Fprintf(out, "garden %s unchanged in %s\n", o.Identity, loc.Path)
		return nil
	}
	if err := atomicfile.Write(loc.Path, data, 0o600); err != nil {
		return clierr.Wrap(err, "writing %s", loc.Path)
	}
	verb := "updated"
	if created {
		verb = "added"
	}
	fmt.Fprintf(out, "garden %s %s in %s\n", o.Identity, verb, loc.Path)
	return nil
}

// ConfigViewOptions prints the garden config.
type ConfigViewOptions struct {
	a      *gardenAccess
	out    output.Flags
	format output.Format
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
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef("use -o yaml or -o json", "%v", err)
	}
	return nil
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
	if _, err := gardenconfig.Parse(data); err != nil {
		return clierr.Usagef("fix the file by hand", "the garden config %s is not valid: %v", loc.Path, err)
	}
	if o.format == output.JSON {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return err
		}
		return output.Print(o.a.g.Streams.Out, output.JSON, jsonRaw(j))
	}
	_, err = o.a.g.Streams.Out.Write(data)
	return err
}

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

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
