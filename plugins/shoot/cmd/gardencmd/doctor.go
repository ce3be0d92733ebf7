package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/doctor"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// DoctorOptions checks the whole Gardener access chain.
type DoctorOptions struct {
	a       *gardenAccess
	out     output.Flags
	printer *output.Printer[DoctorReport]
	Timeout time.Duration
}

// DoctorReport is the schema of "doctor -o json|yaml".
type DoctorReport struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	OK         bool           `json:"ok"`
	Checks     []doctor.Check `json:"checks"`
}

func newDoctorCommand(a *gardenAccess) *cobra.Command {
	o := &DoctorOptions{a: a, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}, Timeout: 30 * time.Second}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: shootcmd.DoctorShort,
		Long: `Checks, in order: kubectl-gardenlogin on PATH (and its version), kubectl-oidc_login (kubelogin),
the garden config (gardenctl's rules), the file gardenlogin reads (its own search order:
$GL_HOME, ~/.garden/gardenlogin.yaml, then gardenctl-v2.yaml) and whether it has the garden,
the garden kubeconfig it points at (a "$HOME" in the path is not expanded
by gardenlogin), the credential plugin that kubeconfig runs, and finally that the garden
answers and who you are (SelfSubjectReview; this may open your browser for the OIDC login).
Every failed check prints the fix for this OS and architecture. Exit code 1 if any check fails.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the garden to answer (includes an interactive login)")
	return cmd
}

// Complete reads -o.
func (o *DoctorOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return nil
}

// Validate checks --timeout.
func (o *DoctorOptions) Validate() error {
	if err := cli.CheckTimeout(o.Timeout, "30s"); err != nil {
		return err
	}
	return nil
}

// Run runs the checks in order; the API check runs only when the local ones allow it.
func (o *DoctorOptions) Run(ctx context.Context) error {
	env := doctor.Env{LookPath: exec.LookPath, Output: runTool, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Home: garden.Home()}
	var checks []doctor.Check
	loc := o.a.location()
	cfgCheck, _, g := doctor.Config(loc, o.a.flags.Garden, gardenconfig.OSEnv())
	var gd *doctor.Garden
	var kcCheck, execCheck doctor.Check
	usesKubelogin := false
	if explicit := o.explicitGarden(); explicit != nil { // --kubeconfig/--context name the garden the other verbs use
		kcCheck, gd = doctor.Kubeconfig(env, *explicit)
		kcCheck.Name = "garden kubeconfig (--kubeconfig)"
		if gd != nil {
			execCheck, usesKubelogin = doctor.Exec(env, gd)
		}
	} else if g != nil {
		kcCheck, gd = doctor.Kubeconfig(env, *g)
		if gd != nil {
			execCheck, usesKubelogin = doctor.Exec(env, gd)
		}
	}
	checks = append(checks, doctor.Tools(ctx, env, usesKubelogin)...)
	checks = append(checks, cfgCheck)
	if g != nil {
		checks = append(checks, doctor.GardenloginConfig(gardenconfig.OSEnv(), loc.Path, *g))
	}
	if kcCheck.Name != "" {
		checks = append(checks, kcCheck)
	}
	if gd != nil {
		checks = append(checks, execCheck)
		if execCheck.Status != doctor.Fail {
			checks = append(checks, o.whoami(ctx, gd))
		}
	}
	r := DoctorReport{APIVersion: shootstate.APIVersion, Kind: "DoctorReport", OK: true, Checks: checks}
	for _, c := range checks {
		if c.Status == doctor.Fail {
			r.OK = false
		}
	}
	return cli.PrintVerdict(o.printer, o.a.g.Streams.Out, r, r.OK)
}

// explicitGarden is the garden --kubeconfig and --context name, as garden.Connect takes it for
// every other verb; nil when neither is given.
func (o *DoctorOptions) explicitGarden() *gardenconfig.Garden {
	cf := o.a.g.ConfigFlags
	kc, ctx := "", ""
	if cf.KubeConfig != nil {
		kc = *cf.KubeConfig
	}
	if cf.Context != nil {
		ctx = *cf.Context
	}
	if kc == "" && ctx == "" {
		return nil
	}
	if kc == "" {
		kc = clientcmd.NewDefaultClientConfigLoadingRules().GetDefaultFilename()
	}
	if abs, err := filepath.Abs(kc); err == nil {
		kc = abs
	}
	return &gardenconfig.Garden{Identity: "(--kubeconfig)", Kubeconfig: kc, Context: ctx}
}

// whoami reaches the garden and asks who we are.
func (o *DoctorOptions) whoami(ctx context.Context, gd *doctor.Garden) doctor.Check {
	c := doctor.Check{Name: "garden API"}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*gd.Config, gd.Context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err == nil {
		cfg.Timeout = o.Timeout
		var cs *kube.Clients
		if cs, err = o.a.g.ClientsFor(cfg); err == nil {
			ctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			var r *authenticationv1.SelfSubjectReview
			r, err = cs.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err == nil {
				c.Status = doctor.OK
				c.Detail = fmt.Sprintf("%s answers; you are %s", cfg.Host, r.Status.UserInfo.Username)
				if len(r.Status.UserInfo.Groups) > 0 {
					c.Detail += " (groups " + strings.Join(r.Status.UserInfo.Groups, ", ") + ")"
				}
				return c
			}
		}
	}
	c.Status = doctor.Fail
	explained := clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "selfsubjectreviews.authentication.k8s.io"})
	host := "the garden"
	if cfg != nil {
		host = cfg.Host
	}
	c.Detail = fmt.Sprintf("%s: %v", host, explained)
	c.Fix = clierr.FixOf(explained)
	if c.Fix == "" {
		c.Fix = "check your network/VPN and log in again (download a fresh garden kubeconfig from the dashboard if it keeps failing)"
	}
	return c
}

func (o *DoctorOptions) printHuman(w io.Writer, r DoctorReport) error {
	p := o.a.g.Palette(w)
	for _, c := range r.Checks {
		mark := p.Good("✓")
		switch c.Status {
		case doctor.Warn:
			mark = p.Warn("!")
		case doctor.Fail:
			mark = p.Bad("✗")
		}
		fmt.Fprintf(w, "%s %-20s %s\n", mark, c.Name, c.Detail)
		if c.Fix != "" && c.Status != doctor.OK {
			fmt.Fprintf(w, "  %s %s\n", p.Faint("fix:"), c.Fix)
		}
	}
	if r.OK {
		fmt.Fprintln(w, p.Good("Gardener access works."))
	} else {
		fmt.Fprintln(w, p.Bad("Gardener access is not ready: fix the items marked ✗ and run kubectl shoot doctor again."))
	}
	return nil
}

// runTool runs a tool for its version with a short bound, so a hanging tool cannot stall doctor.
func runTool(ctx context.Context, path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	return string(out), err
}
