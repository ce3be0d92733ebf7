package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
)

// UndeployOptions deletes a manifest's objects and unbinds their initdata digests.
type UndeployOptions struct {
	g      *cli.Globals
	out    output.Flags
	Files  manifestFlags
	DryRun cli.DryRun
	bind   bindFlags

	printer *output.Printer[UndeployReport]
	objs    []*unstructured.Unstructured
	clients *kube.Clients
}

// UndeployReport is the schema of "undeploy -o json|yaml".
type UndeployReport struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Objects    []string `json:"objects"`
	Binding    *Binding `json:"binding,omitempty"`
	DryRun     bool     `json:"dryRun,omitempty"`
}

func newUndeployCommand(g *cli.Globals) *cobra.Command {
	o := &UndeployOptions{g: g, bind: bindFlags{Bind: "auto", admin: trustee.NewKBSAccess(g, 30*time.Second)},
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}, Named: true}}
	cmd := &cobra.Command{
		Use:   "undeploy -f MANIFEST [--admin-url URL]",
		Short: "Delete what deploy applied and remove from Trustee the initdata digests no workload carries any more",
		Long: `Deletes the manifest's objects, then (with --admin-url, the KBS's admin API as this machine
reaches it) removes from kubectl coco's reference values in Trustee every digest no workload in
the cluster still carries, so a guest with the deleted workloads' initdata gets no secrets. A
second run finds nothing to delete.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	o.Files.addFlags(f, "the manifest deploy applied (- for stdin)")
	cli.AddDryRunFlag(f, &o.DryRun, "say what would be deleted and delete nothing")
	f.StringVar(&o.bind.admin.URL, "admin-url", "", "the KBS's admin API as this machine reaches it (without it, Trustee keeps the digests)")
	f.StringVar(&o.bind.admin.AdminKey, "admin-key", "", "the administrator's Ed25519 private key (default: kubectl coco's own)")
	f.StringVar(&o.bind.admin.TokenFile, "admin-token-file", "", "an admin token instead of the key")
	f.StringVar(&o.bind.admin.CACert, "kbs-cert", "", "PEM certificate (or CA) to trust for an https --admin-url")
	return cmd
}

// Complete reads the manifest and connects.
func (o *UndeployOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if !o.Files.given() {
		return clierr.Usagef("e.g. -f web.yaml", "-f is required")
	}
	if o.objs, err = o.Files.read(o.g.Streams.In); err != nil {
		return err
	}
	if err := o.g.ClientsInto(&o.clients); err != nil {
		return err
	}
	if o.bind.admin.URL != "" && !o.DryRun.On() {
		o.bind.on = true
		return o.bind.admin.Connect()
	}
	return nil
}

// Validate has nothing more to check.
func (o *UndeployOptions) Validate() error { return o.DryRun.ClientOnly() }

// Run deletes, then prunes.
func (o *UndeployOptions) Run(ctx context.Context) error {
	r := UndeployReport{APIVersion: "coco.osc-coco.io/v1alpha1", Kind: "UndeployReport", Objects: []string{}, DryRun: o.DryRun.On()}
	for _, u := range o.objs {
		r.Objects = append(r.Objects, strings.ToLower(u.GetKind())+"/"+u.GetName())
	}
	if o.DryRun.On() {
		return o.printer.Print(o.g.Streams.Out, r)
	}
	if err := checkNamespaces(ctx, o.clients, o.objs); err != nil {
		return err
	}
	a := apply.For(o.clients.Dynamic, o.clients.Kube.Discovery())
	if err := access.Check(ctx, o.clients.Kube, a.AccessRequests(o.objs, o.clients.Namespace, "delete")...); err != nil {
		return clierr.Wrap(err, "deleting the manifest's objects needs these permissions")
	}
	if o.bind.on { // reach the admin API before deleting, so the digests are not left behind
		if err := o.bind.check(ctx); err != nil {
			return err
		}
	}
	for _, u := range o.objs {
		if u.GetNamespace() == "" {
			u.SetNamespace(o.clients.Namespace)
		}
	}
	if err := a.Delete(ctx, o.objs); err != nil {
		return clierr.Wrap(err, "deleting the manifest's objects")
	}
	if o.bind.on {
		r.Binding = &Binding{KBS: o.bind.admin.URL, ReferenceValues: map[string][]string{}}
		if err := o.bind.prune(ctx, o.clients, r.Binding); err != nil {
			return err
		}
	}
	return o.printer.Print(o.g.Streams.Out, r)
}

func (o *UndeployOptions) printHuman(w io.Writer, r UndeployReport) error {
	if r.DryRun {
		_, err := fmt.Fprintf(w, "would delete %s (dry run)\n", strings.Join(r.Objects, ", "))
		return err
	}
	fmt.Fprintf(w, "deleted %s\n", strings.Join(r.Objects, ", "))
	switch {
	case r.Binding == nil:
		o.g.Note("Trustee keeps these workloads' initdata digests (give --admin-url to remove those no workload carries)")
	case len(r.Binding.Pruned) == 0:
		fmt.Fprintln(w, "Trustee: no digest to remove")
	default:
		fmt.Fprintf(w, "Trustee: removed %s\n", strings.Join(r.Binding.Pruned, ", "))
	}
	return nil
}

// ObjectNames are the manifest's objects as kubectl names them (-o name).
func (r UndeployReport) ObjectNames() []string { return r.Objects }
