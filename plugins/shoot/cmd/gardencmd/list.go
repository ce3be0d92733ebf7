package gardencmd

import (
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	"context"
	"io"
	"sort"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootstate"
)

// ListOptions lists shoots.
type ListOptions struct {
	a             *gardenAccess
	out           output.Flags
	printer       *output.Printer[ShootList]
	AllNamespaces bool
}

// ShootList is the schema of "list -o json|yaml".
type ShootList struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Items      []shootstate.Summary `json:"items"`
	// UnreadableProjects (-A) are the projects whose shoots could not be read, and why.
	UnreadableProjects []string `json:"unreadableProjects,omitempty"`
	where              string   // "in project eco", for the empty table
}

func newListCommand(a *gardenAccess) *cobra.Command {
	o := &ListOptions{a: a}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: shootcmd.ListAliases,
		Short:   shootcmd.ListShort,
		Long: `Prints the columns of 'kubectl get shoots' on the garden; -o wide adds seed, purpose and the
five shoot conditions.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(withGarden(a, o)),
	}
	o.out.Named = true
	o.out.AddFlags(cmd)
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-projects", "A", false, "list the shoots of every project you can see")
	return cmd
}

// Complete reads -o.
func (o *ListOptions) Complete([]string) error {
	var err error
	o.printer, err = output.ToPrinter(&o.out, o.printHuman)
	return err
}

// Validate rejects -p with -A.
func (o *ListOptions) Validate() error {
	if o.AllNamespaces && o.a.flags.Project != "" {
		return clierr.Usagef("use either -p PROJECT or -A", "-p and -A cannot be used together")
	}
	return nil
}

// Run lists the shoots.
func (o *ListOptions) Run(ctx context.Context) error {
	gd, err := o.a.connect()
	if err != nil {
		return err
	}
	var shoots []gardencorev1beta1.Shoot
	ns, projects, unreadable := "", map[string]string{}, []string(nil)
	if o.AllNamespaces {
		if shoots, projects, unreadable, err = allShoots(ctx, gd); err != nil {
			return err
		}
	} else {
		p, err := gd.Project(ctx, o.a.flags.Project)
		if err != nil {
			return err
		}
		ns, projects[p.Namespace] = p.Namespace, p.Name
		list, err := gd.Core.CoreV1beta1().Shoots(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "shoots.core.gardener.cloud", Namespace: ns})
		}
		shoots = list.Items
	}
	r := ShootList{APIVersion: shootstate.APIVersion, Kind: "ShootList", Items: []shootstate.Summary{}, UnreadableProjects: unreadable}
	for _, u := range unreadable { // never an empty project in the table
		o.a.g.Warn("cannot read the shoots of project " + u)
	}
	for i := range shoots {
		s := &shoots[i]
		r.Items = append(r.Items, shootstate.Summarize(s, projectName(projects, s.Namespace)))
	}
	sort.Slice(r.Items, func(i, j int) bool {
		if r.Items[i].Namespace != r.Items[j].Namespace {
			return r.Items[i].Namespace < r.Items[j].Namespace
		}
		return r.Items[i].Name < r.Items[j].Name
	})
	if r.where = "in project " + projectName(projects, ns); o.AllNamespaces {
		r.where = "in any project you can see"
	}
	return o.printer.Print(o.a.g.Streams.Out, r)
}

func (o *ListOptions) printHuman(w io.Writer, r ShootList) error {
	if len(r.Items) == 0 {
		_, err := w.Write([]byte("No shoots " + r.where + ".\n"))
		return err
	}
	t := shootTable(r.Items, o.AllNamespaces, o.printer.Format() == output.Wide, o.a.g.Palette(w))
	t.NoHeaders = o.out.NoHeaders
	return t.Render(w)
}

func projectName(projects map[string]string, ns string) string {
	if p, ok := projects[ns]; ok {
		return p
	}
	if len(ns) > len("garden-") && ns[:7] == "garden-" {
		return ns[7:]
	}
	return ns
}

func shootTable(items []shootstate.Summary, withProject, wide bool, p output.Palette) *output.Table {
	t := &output.Table{Headers: []string{"NAME", "CLOUDPROFILE", "PROVIDER", "REGION"}}
	if withProject {
		t.Headers = append([]string{"PROJECT"}, t.Headers...)
	}
	if wide {
		t.Headers = append(t.Headers, "SEED")
	}
	t.Headers = append(t.Headers, "K8S VERSION", "HIBERNATION", "LAST OPERATION", "STATUS")
	if wide {
		t.Headers = append(t.Headers, "PURPOSE", "APISERVER", "CONTROL", "OBSERVABILITY", "NODES", "SYSTEM")
	}
	t.Headers = append(t.Headers, "AGE")
	now := time.Now()
	for _, s := range items {
		var row []output.Cell
		if withProject {
			row = append(row, output.C(s.Project))
		}
		row = append(row, output.C(s.Name), output.C(s.CloudProfile), output.C(s.Provider), output.C(s.Region))
		if wide {
			row = append(row, output.C(orNone(s.Seed)))
		}
		row = append(row, output.C(s.KubernetesVersion), output.C(s.Hibernation), output.C(s.LastOperationColumn()),
			output.Cell{Text: s.StatusColumn(), Paint: statusPaint(s.Status, p)})
		if wide {
			row = append(row, output.C(orNone(s.Purpose)))
			for _, ct := range shootstate.ConditionTypes {
				v := s.ConditionColumn(ct)
				row = append(row, output.Cell{Text: v, Paint: conditionPaint(v, p)})
			}
		}
		row = append(row, output.C(shootstate.Age(s.Created, now)))
		t.Add(row...)
	}
	return t
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func statusPaint(status string, p output.Palette) func(string) string {
	switch status {
	case "healthy":
		return p.Good
	case "unhealthy":
		return p.Bad
	case "progressing":
		return p.Warn
	}
	return nil
}

func conditionPaint(v string, p output.Palette) func(string) string {
	switch v {
	case "True":
		return p.Good
	case "False":
		return p.Bad
	case "Progressing":
		return p.Warn
	}
	return nil
}

// ObjectNames gives -o name as kubectl names shoots on the garden.
func (l ShootList) ObjectNames() []string {
	out := make([]string, 0, len(l.Items))
	for _, s := range l.Items {
		out = append(out, "shoot.core.gardener.cloud/"+s.Name)
	}
	return out
}
