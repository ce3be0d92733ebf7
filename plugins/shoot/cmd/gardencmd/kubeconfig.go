package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootkubeconfig"
)

// KubeconfigOptions writes a shoot's kubeconfig.
type KubeconfigOptions struct {
	a           *gardenAccess
	Name        string
	Output      string
	AccessLevel string
	Admin       bool
	Expiration  time.Duration
	flags       *pflag.FlagSet
}

func newKubeconfigCommand(a *gardenAccess) *cobra.Command {
	o := &KubeconfigOptions{a: a, Expiration: time.Hour}
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME [-o FILE|-]",
		Short: shootcmd.KubeconfigShort,
		Long: `Writes the kubeconfig the dashboard offers as "Kubeconfig - Gardenlogin": no credentials inside,
kubectl-gardenlogin fetches a short-lived client certificate through your garden login each time.
As gardenctl writes it: a cluster and context for each kube-apiserver address (external,
internal, unmanaged; the first is current), namespace default, and the access level from
--access-level, else the garden's kubeconfigAccessLevelDefaults, else gardenlogin's own (auto).
By default it goes to kubeconfig-gardenlogin--<project>--<shoot>.yaml in the garden directory
(~/.garden or $GCTL_HOME), written atomically with mode 0600; -o - prints it. The garden's
access restrictions that apply to the shoot are shown on stderr.

--admin instead asks the Gardener API (shoots/adminkubeconfig) for a kubeconfig with a client
certificate valid for --expiration; it contains a private key, so it is only written to a file
(mode 0600) or, with -o -, to stdout.`,
		Args:              cli.ExactArgs(1, "the shoot name"),
		ValidArgsFunction: completeShoots(a),
		RunE:              cli.RunE(withGarden(a, o)),
	}
	f := cmd.Flags()
	o.flags = f
	f.StringVarP(&o.Output, "output", "o", "", "file to write, or - for stdout (default: the garden directory)")
	f.StringVar(&o.AccessLevel, "access-level", "", "gardenlogin access level: auto, admin or viewer (default: the garden's kubeconfigAccessLevelDefaults, else gardenlogin's auto)")
	f.BoolVar(&o.Admin, "admin", false, "write a short-lived admin kubeconfig (shoots/adminkubeconfig) instead")
	f.DurationVar(&o.Expiration, "expiration", o.Expiration, "validity of the --admin certificate (at least 10m)")
	_ = cmd.RegisterFlagCompletionFunc("access-level", cobra.FixedCompletions(shootkubeconfig.AccessLevels, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the name.
func (o *KubeconfigOptions) Complete(args []string) error {
	o.Name = args[0]
	return shootName(o.Name)
}

// Validate checks the access level and expiration.
func (o *KubeconfigOptions) Validate() error {
	if o.AccessLevel != "" && !slices.Contains(shootkubeconfig.AccessLevels, o.AccessLevel) {
		return clierr.Usagef("use auto, admin or viewer", "unknown --access-level %q", o.AccessLevel)
	}
	if o.Admin && o.Expiration < 10*time.Minute {
		return clierr.Usagef("e.g. --expiration 1h", "--expiration %s is too short: Gardener issues admin kubeconfigs for at least 10m", o.Expiration)
	}
	return nil
}

// Run fetches what the kubeconfig needs and writes it.
func (o *KubeconfigOptions) Run(ctx context.Context) error {
	gd, p, err := o.a.connectProject(ctx)
	if err != nil {
		return err
	}
	var data []byte
	if o.Admin {
		data, err = o.adminKubeconfig(ctx, gd, p)
	} else {
		data, err = o.gardenloginKubeconfig(ctx, gd, p)
	}
	if err != nil {
		return err
	}
	if o.Output == "-" {
		_, err := o.a.g.Streams.Out.Write(data)
		return err
	}
	path, err := o.path(p)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return clierr.Wrap(err, "writing %s", path)
	}
	fmt.Fprintf(o.a.g.Streams.Out, "wrote %s\n", path)
	return nil
}

func (o *KubeconfigOptions) path(p garden.Project) (string, error) {
	if o.Output != "" {
		abs, err := filepath.Abs(gardenconfig.ExpandTilde(o.Output, garden.Home()))
		if err != nil {
			return "", clierr.Usagef("pass a file path", "bad --output %q: %v", o.Output, err)
		}
		return abs, nil
	}
	name := shootkubeconfig.FileName(p.Name, o.Name)
	if o.Admin {
		name = strings.Replace(name, "kubeconfig-gardenlogin--", "kubeconfig-admin--", 1)
	}
	return filepath.Join(o.a.location().Dir, name), nil
}

// DefaultKubeconfigPath is where "kubeconfig" and "use" put a shoot's gardenlogin kubeconfig.
func (a *gardenAccess) defaultKubeconfigPath(p garden.Project, shoot string) string {
	return filepath.Join(a.location().Dir, shootkubeconfig.FileName(p.Name, shoot))
}

func (o *KubeconfigOptions) gardenloginKubeconfig(ctx context.Context, gd *garden.Conn, p garden.Project) ([]byte, error) {
	var flag *string
	if o.flags != nil && o.flags.Changed("access-level") {
		flag = &o.AccessLevel
	}
	s, err := gd.Shoot(ctx, p, o.Name)
	if err != nil {
		return nil, err
	}
	kc, err := buildGardenloginKubeconfig(ctx, gd, p, s, flag)
	if err != nil {
		return nil, err
	}
	if msgs := restrictions(gd, kc.Shoot); len(msgs) > 0 {
		printRestrictions(o.a.g.Streams.ErrOut, o.Name, msgs)
	}
	if flag == nil && kc.AccessLevel != "" {
		o.a.g.Note(fmt.Sprintf("access level %s, the default of garden %s (kubeconfigAccessLevelDefaults); --access-level overrides it", kc.AccessLevel, gd.Identity))
	}
	return kc.Data, nil
}

// clusterCA reads the shoot's CA bundle from the <shoot>.ca-cluster ConfigMap, or from the Secret
// of the same name that older landscapes use.
func clusterCA(ctx context.Context, gd *garden.Conn, p garden.Project, shoot string) ([]byte, error) {
	name := shootkubeconfig.CAName(shoot)
	cm, err := gd.Kube.CoreV1().ConfigMaps(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err == nil && cm.Data[shootkubeconfig.CAConfigMapKey] != "" {
		return []byte(cm.Data[shootkubeconfig.CAConfigMapKey]), nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "configmaps", Namespace: p.Namespace, Name: name})
	}
	sec, serr := gd.Kube.CoreV1().Secrets(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if serr == nil && len(sec.Data[shootkubeconfig.CAConfigMapKey]) > 0 {
		return sec.Data[shootkubeconfig.CAConfigMapKey], nil
	}
	if serr != nil && !apierrors.IsNotFound(serr) {
		// The ConfigMap is missing and the Secret older landscapes use cannot be read: unknown, not absent.
		return nil, clierr.Failf("wait until the shoot is created (kubectl shoot wait "+shoot+"); on an older landscape ask for read access to Secret "+name,
			"the cluster CA of shoot %s: no ConfigMap %s in namespace %s, and %s", shoot, name, p.Namespace,
			clierr.CannotTell(serr, clierr.Action{Verb: "get", Resource: "secrets", Namespace: p.Namespace, Name: name}))
	}
	return nil, clierr.Failf("wait until the shoot is created (kubectl shoot wait "+shoot+"); if it is, ask your landscape admin",
		"the cluster CA of shoot %s is not published yet (no ConfigMap %s with %s in namespace %s)", shoot, name, shootkubeconfig.CAConfigMapKey, p.Namespace)
}

func lastOp(s *gardencorev1beta1.Shoot) string {
	if lo := s.Status.LastOperation; lo != nil {
		return fmt.Sprintf("%s %s (%d%%)", lo.Type, lo.State, lo.Progress)
	}
	return "none yet"
}

// adminKubeconfig posts an AdminKubeconfigRequest to the shoot's subresource.
func (o *KubeconfigOptions) adminKubeconfig(ctx context.Context, gd *garden.Conn, p garden.Project) ([]byte, error) {
	if _, err := gd.Shoot(ctx, p, o.Name); err != nil {
		return nil, err
	}
	if err := access.Check(ctx, gd.Kube, access.Request{Verb: "create", Group: "core.gardener.cloud", Resource: "shoots",
		Subresource: "adminkubeconfig", Namespace: p.Namespace}); err != nil {
		return nil, clierr.Wrap(err, "an admin kubeconfig for shoot %s (without --admin you get the gardenlogin one, which needs only get)", o.Name)
	}
	issued, err := gd.IssueKubeconfig(ctx, p.Namespace, o.Name, garden.Admin, o.Expiration)
	switch {
	case apierrors.IsForbidden(err):
		return nil, clierr.Failf("ask a project admin for the 'admin' role, or use the gardenlogin kubeconfig (without --admin) which falls back to viewer access",
			"not allowed to create shoots/adminkubeconfig for %s in project %s", o.Name, p.Name)
	case errors.Is(err, garden.ErrIssued):
		return nil, clierr.Failf("retry; if it persists, report it to your landscape admin", "%v", err)
	case err != nil:
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "shoots/adminkubeconfig", Namespace: p.Namespace, Name: o.Name})
	}
	fmt.Fprintf(o.a.g.Streams.ErrOut, "admin kubeconfig for %s valid until %s\n", o.Name, issued.Expires.UTC().Format(time.RFC3339))
	return issued.Kubeconfig, nil
}
