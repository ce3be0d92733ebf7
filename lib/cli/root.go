// Package cli wires a plugin's cobra commands the same way for every plugin: kubectl's
// connection flags, --color, -v, signal handling, and the mapping of errors to exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/version"
)

// Globals are the flags and streams every subcommand of a plugin shares.
type Globals struct {
	Plugin      string
	ConfigFlags *genericclioptions.ConfigFlags
	Streams     genericiooptions.IOStreams
	Color       string
	// WrapConfig, if set, wraps every REST config (request counting in benchmarks and tests).
	WrapConfig func(*rest.Config)
	// Factory, if set, builds the clients instead of the connection flags: tests hand commands
	// clients on fakes, as kubectl's cmdtesting.NewTestFactory does.
	Factory Factory
}

// Factory builds the clients a command uses (kubectl's cmdutil.Factory). Packages with clients
// of their own take them from it when it implements their interface too (helmrelease.Factory,
// garden.Factory).
type Factory interface {
	// Clients are the clients of the cluster the connection flags name.
	Clients() (*kube.Clients, error)
	// ClientsFor are the clients of another cluster: a shoot, through a kubeconfig the Gardener
	// API issued.
	ClientsFor(cfg *rest.Config) (*kube.Clients, error)
}

// NewRoot makes a plugin's root command, shown to users as "kubectl <plugin>".
func NewRoot(plugin, short, long string, streams genericiooptions.IOStreams) (*cobra.Command, *Globals) {
	g := &Globals{Plugin: plugin, ConfigFlags: kube.NewConfigFlags(), Streams: streams, Color: output.ColorAuto}
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	root := &cobra.Command{
		Use:           plugin,
		Short:         short,
		Long:          long,
		SilenceErrors: true,
		SilenceUsage:  true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl " + plugin},
		PersistentPreRunE: func(*cobra.Command, []string) error {
			capVerbosity(klogFlags, streams.ErrOut)
			quietKlog(klogFlags)
			if err := output.ValidateColorMode(g.Color); err != nil {
				return clierr.Usagef("use --color auto, always or never", "%v", err)
			}
			return nil
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	g.ConfigFlags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(&g.Color, "color", output.ColorAuto, "colour output: auto, always or never (auto honours NO_COLOR)")
	if v := klogFlags.Lookup("v"); v != nil {
		root.PersistentFlags().AddGoFlag(v)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return clierr.Usagef(fmt.Sprintf("see '%s --help'", displayPath(c)), "%v", err)
	})
	registerConnectionCompletion(root, g)
	root.CompletionOptions.DisableDefaultCmd = true // cobra's would complete "teecheck", which nobody types
	root.AddCommand(newVersionCommand(g), newCompletionCommand(g))
	return root, g
}

// quietKlog keeps client-go's own log lines (a watch cut by Ctrl-C, throttling notes) off the
// user's terminal unless -v asks for them.
func quietKlog(fs *flag.FlagSet) {
	if v := fs.Lookup("v"); v != nil && v.Value.String() != "0" {
		return
	}
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}

// MaxVerbosity is the highest -v honoured. client-go logs request and response bodies from -v=8
// on: Secrets, admin kubeconfigs and token requests would reach the terminal. Up to 7 it logs
// requests, status codes, timings and headers, with Authorization values masked.
const MaxVerbosity = 7

func capVerbosity(fs *flag.FlagSet, errOut io.Writer) {
	v := fs.Lookup("v")
	if v == nil {
		return
	}
	if n, err := strconv.Atoi(v.Value.String()); err == nil && n > MaxVerbosity {
		_ = fs.Set("v", strconv.Itoa(MaxVerbosity))
		fmt.Fprintf(errOut, "note: -v=%d is capped at %d: higher levels log API bodies, which may hold credentials\n", n, MaxVerbosity)
	}
}

// displayPath is the command as the user typed it: "kubectl teecheck nodes" (cobra's path
// already starts with the root's display name, "kubectl teecheck").
func displayPath(c *cobra.Command) string {
	if p := c.CommandPath(); strings.HasPrefix(p, "kubectl ") {
		return p
	}
	return "kubectl " + c.CommandPath()
}

// Palette colours text for w according to --color.
func (g *Globals) Palette(w any) output.Palette {
	if wr, ok := w.(interface{ Write([]byte) (int, error) }); ok {
		return output.NewPalette(output.ColorEnabled(g.Color, wr))
	}
	return output.NewPalette(false)
}

// Note prints a one-line note for the user on stderr (what a command noticed and handled).
func (g *Globals) Note(s string) { fmt.Fprintln(g.Streams.ErrOut, "note: "+s) }

// Warn prints a one-line warning on stderr (what the user should fix, though the command went on).
func (g *Globals) Warn(s string) { fmt.Fprintln(g.Streams.ErrOut, "warning: "+s) }

// Progress returns the progress writer for stderr (silent unless stderr is a terminal).
func (g *Globals) Progress() *progress.Progress {
	return progress.New(g.Streams.ErrOut, g.Palette(g.Streams.ErrOut))
}

// ProgressFor is Progress for a command printing in format: silent under machine formats,
// whose reader is a script.
func (g *Globals) ProgressFor(format output.Format) *progress.Progress {
	if format.Structured() {
		return nil // a nil *Progress draws nothing
	}
	return g.Progress()
}

// ClientsInto builds the clients into *c unless a test set them already; commands call it in
// Complete, so Run works on what it is given.
func (g *Globals) ClientsInto(c **kube.Clients) error {
	if *c != nil {
		return nil
	}
	var err error
	*c, err = g.Clients()
	return err
}

// Clients builds API clients from the connection flags (or the test's Factory).
func (g *Globals) Clients() (*kube.Clients, error) {
	if g.Factory != nil {
		c, err := g.Factory.Clients()
		if err == nil && g.ConfigFlags.Namespace != nil && *g.ConfigFlags.Namespace != "" {
			cc := *c // -n as kube.New honours it
			cc.Namespace, cc.NamespaceExplicit = *g.ConfigFlags.Namespace, true
			c = &cc
		}
		return c, err
	}
	c, err := kube.New(g.ConfigFlags, func(cfg *rest.Config) {
		cfg.UserAgent = fmt.Sprintf("kubectl-%s/%s", g.Plugin, version.Version)
		if g.WrapConfig != nil {
			g.WrapConfig(cfg)
		}
	})
	var ce *clierr.Error
	if errors.As(err, &ce) { // it names the problem and the fix already
		return nil, err
	}
	if err != nil {
		return nil, clierr.Wrap(clierr.Usagef("check --kubeconfig, --context and the KUBECONFIG variable", "cannot load the kubeconfig"),
			"%v", err)
	}
	return c, nil
}

// ClientsFor builds the clients of a cluster whose config a command was given (a shoot's).
func (g *Globals) ClientsFor(cfg *rest.Config) (*kube.Clients, error) {
	if g.Factory != nil {
		return g.Factory.ClientsFor(cfg)
	}
	return kube.ForConfig(cfg)
}

// ExactArgs is cobra.ExactArgs with a usage error that says what is expected.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return clierr.Usagef(fmt.Sprintf("usage: %s", cmd.UseLine()), "expected %s, got %d argument(s)", what, len(args))
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return clierr.Usagef(fmt.Sprintf("see '%s --help'", displayPath(cmd)), "unexpected argument %q", args[0])
	}
	return nil
}

// Main is a plugin's (or a helper's) main: newRoot's command on the process's streams, and the
// process's exit code.
func Main(newRoot func(genericiooptions.IOStreams) *cobra.Command) {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(Execute(newRoot(streams), streams))
}

// Execute runs the root command with Ctrl-C/SIGTERM cancelling its context, prints the error
// for a person, and returns the exit code. A second signal kills the process at once.
func Execute(root *cobra.Command, streams genericiooptions.IOStreams) int {
	args, rewritten := argsFromOS()
	if !rewritten {
		args = os.Args[1:]
	}
	if helper := helperFor(root, args); helper != "" { // before any signal handler: the helper's own
		return forwardToHelper(helper, args, streams)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	root.SetArgs(args)
	return ExecuteContext(ctx, root, streams)
}

// ExecuteContext is Execute with a given context (tests cancel it to simulate Ctrl-C).
func ExecuteContext(ctx context.Context, root *cobra.Command, streams genericiooptions.IOStreams) int {
	deprecationsToStderr(root, streams.ErrOut)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var e *clierr.Error
		var s *clierr.Silent
		switch {
		case errors.As(err, &e) || errors.As(err, &s):
		case ctx.Err() != nil:
			err = clierr.ErrInterrupted // not "interrupted: context canceled"
		case strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "unknown flag"):
			err = clierr.Usagef(fmt.Sprintf("see '%s --help'", displayPath(root)), "%v", err)
		}
	}
	clierr.Print(streams.ErrOut, err)
	return clierr.ExitCode(err)
}

// deprecationsToStderr moves the notice of a deprecated flag to stderr: cobra prints pflag's
// notice with Command.Print, which writes to the command's output (stdout, which scripts read)
// once SetOut is set. The flags stay hidden, as pflag hides deprecated ones.
func deprecationsToStderr(c *cobra.Command, errOut io.Writer) {
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Deprecated == "" {
			return
		}
		msg := fmt.Sprintf("warning: flag --%s has been deprecated, %s\n", f.Name, f.Deprecated)
		f.Deprecated, f.Hidden = "", true
		f.Value = &announced{Value: f.Value, announce: func() { fmt.Fprint(errOut, msg) }}
	})
	for _, sub := range c.Commands() {
		deprecationsToStderr(sub, errOut)
	}
}

// announced is a flag value that announces its use once.
type announced struct {
	pflag.Value
	announce func()
	done     bool
}

func (a *announced) Set(s string) error {
	if !a.done {
		a.done = true
		a.announce()
	}
	return a.Value.Set(s)
}

// Command is the shape of every subcommand, as in kubectl: Complete reads flags and arguments,
// Validate checks them without I/O, Run does the work.
type Command interface {
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// RunE runs a Command's three steps for cobra.
func RunE(c Command) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := c.Complete(args); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return err
		}
		return c.Run(cmd.Context())
	}
}

// NoNamespace refuses -n on a command that does not use it (why says what it works on): a flag
// that is taken and then ignored would let the user think it applied.
func (g *Globals) NoNamespace(why string) error {
	if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
		return clierr.Usagef("drop -n: "+why, "-n %s does not apply to this command", *ns)
	}
	return nil
}
