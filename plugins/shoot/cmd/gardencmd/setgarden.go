package gardencmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
)

// SetGardenOptions adds or updates a garden, with gardenctl-v2's "config set-garden" flags.
type SetGardenOptions struct {
	a          *gardenAccess
	flags      *pflag.FlagSet
	Identity   string
	Kubeconfig string
	Context    string
	Alias      string
	Patterns   []string
	ShootLevel string
	SeedLevel  string
	DryRun     cli.DryRun
}

func newSetGardenCommand(a *gardenAccess) *cobra.Command {
	o := &SetGardenOptions{a: a}
	cmd := &cobra.Command{
		Use:   "set-garden IDENTITY [--kubeconfig PATH] [--context CONTEXT] [--alias NAME]",
		Short: "Add a garden to the garden config, or change its kubeconfig, context, alias, patterns or default access level",
		Long: `Adds or changes a garden as "gardenctl config set-garden" does: only the flags given change the
garden ("" removes a field), everything else in the file is kept. The identity and alias follow
gardenctl's rule: ` + gardenconfig.NameRule + `.
Afterwards it says which file gardenlogin will read, and warns when that is not this one.`,
		Example: `  # the guide's garden "fg1" with the kubeconfig downloaded from the dashboard
  kubectl shoot config set-garden fg1 --kubeconfig ~/.garden/kubeconfig-garden-eco.yaml

  # read-only shoot kubeconfigs by default (kubectl shoot kubeconfig --access-level overrides it)
  kubectl shoot config set-garden fg1 --default-shoot-access-level viewer`,
		Args: cli.ExactArgs(1, "the garden identity"),
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	o.flags = f
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "the garden kubeconfig (stored as an absolute path)")
	f.StringVar(&o.Context, "context", "", "context of that kubeconfig to use (default: its current context)")
	f.StringVar(&o.Alias, "alias", "", "another name for the garden, usable with --garden")
	f.StringVar(&o.Alias, "name", "", "the same as --alias")
	_ = f.MarkDeprecated("name", "use --alias, as gardenctl does")
	f.StringArrayVar(&o.Patterns, "pattern", nil, `a gardenctl target pattern (repeatable; replaces the garden's patterns; --pattern "" removes them)`)
	f.StringVar(&o.ShootLevel, "default-shoot-access-level", "", `access level of shoot kubeconfigs when --access-level is not given: admin, viewer or auto ("" unsets)`)
	f.StringVar(&o.SeedLevel, "default-seed-access-level", "", `the same for seeds and shoots that back a managed seed ("" unsets)`)
	cli.AddDryRunFlag(f, &o.DryRun, "print the resulting config instead of writing it")
	_ = cmd.RegisterFlagCompletionFunc("default-shoot-access-level", cobra.FixedCompletions(gardenconfig.AccessLevelValues, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("default-seed-access-level", cobra.FixedCompletions(gardenconfig.AccessLevelValues, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the identity and makes the kubeconfig path absolute.
func (o *SetGardenOptions) Complete(args []string) error {
	o.Identity = args[0]
	if o.Kubeconfig != "" {
		p := gardenconfig.ExpandTilde(os.ExpandEnv(o.Kubeconfig), garden.Home())
		abs, err := filepath.Abs(p)
		if err != nil {
			return clierr.Usagef("pass an absolute path", "cannot make %q absolute: %v", o.Kubeconfig, err)
		}
		o.Kubeconfig = abs
	}
	return nil
}

func (o *SetGardenOptions) changed(name string) bool { return o.flags != nil && o.flags.Changed(name) }

// Validate applies gardenctl's rules to the input and checks the kubeconfig and its context.
func (o *SetGardenOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := gardenconfig.ValidateName(o.Identity); err != nil {
		return clierr.Usagef("use "+gardenconfig.NameRule, "garden identity %q %v; gardenctl and gardenlogin would refuse it", o.Identity, err)
	}
	if o.Alias != "" {
		if err := gardenconfig.ValidateName(o.Alias); err != nil {
			return clierr.Usagef("use "+gardenconfig.NameRule, "alias %q %v; gardenctl would refuse the whole file", o.Alias, err)
		}
	}
	for flag, level := range map[string]string{"--default-shoot-access-level": o.ShootLevel, "--default-seed-access-level": o.SeedLevel} {
		if err := gardenconfig.ValidateAccessLevel(level); err != nil {
			return clierr.Usagef("use admin, viewer or auto (e.g. "+flag+" viewer), or \"\" to unset", "%s: %v", flag, err)
		}
	}
	if err := gardenconfig.ValidatePatterns(o.Patterns); err != nil {
		return clierr.Usagef(`e.g. --pattern '^shoot--(?P<project>[^-]+)--(?P<shoot>.+)$'`, "--pattern: %v", err)
	}
	if o.changed("kubeconfig") && o.Kubeconfig == "" {
		return clierr.Usagef("pass the path of the garden kubeconfig", "--kubeconfig must not be empty: gardenctl needs the garden kubeconfig")
	}
	if o.Kubeconfig == "" {
		return nil
	}
	return o.checkKubeconfig()
}

func (o *SetGardenOptions) checkKubeconfig() error {
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

// change is the edit the given flags ask for.
func (o *SetGardenOptions) change() gardenconfig.Change {
	var ch gardenconfig.Change
	str := func(flag string, v *string) *string {
		if o.changed(flag) {
			return v
		}
		return nil
	}
	ch.Kubeconfig, ch.Context = str("kubeconfig", &o.Kubeconfig), str("context", &o.Context)
	ch.Alias = str("alias", &o.Alias)
	if ch.Alias == nil {
		ch.Alias = str("name", &o.Alias)
	}
	ch.ShootAccessLevel, ch.SeedAccessLevel = str("default-shoot-access-level", &o.ShootLevel), str("default-seed-access-level", &o.SeedLevel)
	if o.changed("pattern") {
		ch.Patterns = &o.Patterns
	}
	return ch
}

// Run edits and writes the config atomically (mode 0600), then says what gardenlogin will read.
func (o *SetGardenOptions) Run(context.Context) error {
	loc := o.a.location()
	cfg, err := gardenconfig.Load(loc.Path)
	if errors.Is(err, gardenconfig.ErrNotExist) {
		cfg, err = gardenconfig.Parse(nil)
	}
	if err != nil {
		return clierr.Usagef("fix the file by hand (nothing was changed)", "the garden config %s is not valid: %v", loc.Path, err)
	}
	if _, exists := cfg.FindIdentity(o.Identity); !exists && o.Kubeconfig == "" {
		return clierr.Usagef("pass --kubeconfig with the garden kubeconfig", "garden %s is new, so --kubeconfig is required", o.Identity)
	}
	created, changed := cfg.SetGarden(o.Identity, o.change())
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	o.warnAbout(cfg)
	if o.DryRun.On() {
		_, err = o.a.g.Streams.Out.Write(data)
		return err
	}
	out := o.a.g.Streams.Out
	if !changed {
		fmt.Fprintf(out, "garden %s unchanged in %s\n", o.Identity, loc.Path)
	} else {
		if err := atomicfile.Write(loc.Path, data, 0o600); err != nil {
			return clierr.Wrap(err, "writing %s", loc.Path)
		}
		verb := map[bool]string{true: "added", false: "updated"}[created]
		fmt.Fprintf(out, "garden %s %s in %s\n", o.Identity, verb, loc.Path)
		if o.changed("default-shoot-access-level") || o.changed("default-seed-access-level") {
			o.a.g.Note("shoot kubeconfigs already written keep their access level: write them again with kubectl shoot kubeconfig <shoot>")
		}
	}
	g, _ := cfg.FindIdentity(o.Identity)
	o.checkGardenlogin(loc.Path, g)
	return nil
}

// warnAbout prints what gardenctl would warn about or refuse in the edited file.
func (o *SetGardenOptions) warnAbout(cfg *gardenconfig.Config) {
	for _, w := range cfg.Warnings {
		o.a.g.Warn(fmt.Sprintf("%s (%s)", w, w.Fix))
	}
	for _, p := range cfg.Problems {
		o.a.g.Warn(fmt.Sprintf("gardenctl refuses this file until this is fixed: %s (%s)", p, p.Fix))
	}
}

// checkGardenlogin warns when gardenlogin, which every shoot kubeconfig runs, reads another file
// that lacks this garden or has it with another kubeconfig.
func (o *SetGardenOptions) checkGardenlogin(path string, g gardenconfig.Garden) {
	v := gardenconfig.SeenByGardenlogin(gardenconfig.OSEnv(), path, g)
	if msg, fix := gardenloginMismatch(v, path, g); msg != "" {
		o.a.g.Warn(msg + "; fix: " + fix)
	}
}

// gardenloginMismatch says what is wrong with what gardenlogin sees, and the fix ("" if nothing).
func gardenloginMismatch(v gardenconfig.GardenloginView, path string, g gardenconfig.Garden) (msg, fix string) {
	if v.Same {
		return "", ""
	}
	fix = fmt.Sprintf("kubectl shoot config set-garden %s --kubeconfig %s --garden-config %s", g.Identity, quoteShell(gardenconfig.Resolve(g.Kubeconfig, garden.Home())), quoteShell(v.File))
	if v.File == "" {
		fix = fmt.Sprintf("export %s=%s", gardenconfig.EnvGardenloginHome, quoteShell(v.GLHome))
	} else if v.GLHome != "" {
		fix += fmt.Sprintf(", or export %s=%s", gardenconfig.EnvGardenloginHome, quoteShell(v.GLHome))
	}
	switch {
	case v.File == "" && v.GLHome == "":
		return fmt.Sprintf("gardenlogin finds no garden config, so shoot kubeconfigs cannot log in (it does not read %s)", path),
			fmt.Sprintf("kubectl shoot config set-garden %s --kubeconfig <path> --garden-config ~/.garden/gardenlogin.yaml", g.Identity)
	case v.File == "":
		return fmt.Sprintf("gardenlogin finds no garden config, so shoot kubeconfigs cannot log in (it does not read %s)", path), fix
	case v.Err != nil:
		return fmt.Sprintf("gardenlogin reads %s, not %s, and cannot parse it: %v", v.File, path, v.Err), fix
	case v.Garden == nil:
		return fmt.Sprintf("gardenlogin reads %s, not %s, and it has no garden %s: shoot kubeconfigs will fail with \"no garden cluster configured for cluster identity: %s\"", v.File, path, g.Identity, g.Identity), fix
	case !v.SameKubeconfig:
		return fmt.Sprintf("gardenlogin reads %s, not %s, and its garden %s uses kubeconfig %s (context %q), not %s (context %q)",
			v.File, path, g.Identity, v.Garden.Kubeconfig, v.Garden.Context, g.Kubeconfig, g.Context), fix
	}
	return "", ""
}

func quoteShell(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-~=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
