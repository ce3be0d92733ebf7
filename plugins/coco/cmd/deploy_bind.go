package cmd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

// bindFlags bind a workload's secrets to its initdata in Trustee: --bind, --admin-url, the
// admin key, --prune.
type bindFlags struct {
	Bind  string // auto (on with a KBS), true, false
	Prune bool
	admin trustee.KBSAccess
	on    bool
}

// Binding is what deploy registered in Trustee.
type Binding struct {
	KBS   string `json:"kbs"`
	Bound bool   `json:"bound"`
	// ReferenceValues are the digests Trustee holds per reference value id after the run.
	ReferenceValues map[string][]string `json:"referenceValues"`
	// Registered says what was set: the reference values, the attestation and resource policies.
	Registered []string `json:"registered"`
	// Pruned are digests removed because no workload in the cluster carries them.
	Pruned []string `json:"pruned,omitempty"`
}

func (b *bindFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&b.Bind, "bind", b.Bind, "register the initdata digests in Trustee and set its policies so only these guests get secrets: auto (with --kbs-url), true, false")
	f.Lookup("bind").NoOptDefVal = "true"
	f.StringVar(&b.admin.URL, "admin-url", "", "the KBS's admin API as this machine reaches it (default: --kbs-url; e.g. a port-forward)")
	f.StringVar(&b.admin.AdminKey, "admin-key", "", "the administrator's Ed25519 private key (default: kubectl coco's own)")
	f.StringVar(&b.admin.TokenFile, "admin-token-file", "", "an admin token instead of the key")
	f.BoolVar(&b.Prune, "prune", false, "also remove registered digests that no workload in the cluster carries any more")
}

func (b *bindFlags) validate(kbsURL string) error {
	switch {
	case b.Bind != "auto" && b.Bind != "true" && b.Bind != "false":
		return clierr.Usagef("use --bind, --bind=false or leave it out", "invalid --bind %q", b.Bind)
	case b.Bind == "true" && kbsURL == "":
		return clierr.Usagef("add --kbs-url URL", "--bind binds secrets a KBS releases: it needs --kbs-url")
	case b.Prune && (b.Bind == "false" || kbsURL == ""):
		return clierr.Usagef("drop --prune, or give --kbs-url with --bind", "--prune removes registered digests: it needs --bind and --kbs-url")
	}
	return nil
}

// complete decides whether to bind and prepares the admin client (no network yet).
func (b *bindFlags) complete(kbsURL, kbsCert string, dryRun bool) error {
	b.on = kbsURL != "" && b.Bind != "false" && !dryRun
	if !b.on {
		return nil
	}
	if b.admin.URL == "" {
		b.admin.URL = kbsURL
	}
	if b.admin.CACert == "" {
		b.admin.CACert = kbsCert
	}
	if err := b.admin.Connect(); err != nil {
		var ce *clierr.Error
		if errors.As(err, &ce) {
			ce.Fix += "; or --bind=false (the workload's secrets then are not bound to it)"
		}
		return err
	}
	return nil
}

// refuseOpen refuses to register a digest of a workload the host can enter: the resource
// policy is the KBS's, so a registered digest unlocks all of its secrets.
func (b *bindFlags) refuseOpen(workloads []WorkloadPolicy) error {
	for _, w := range workloads {
		if e := hostEntry(w.Allows); e != "" {
			return clierr.Failf("deploy it with --bind=false, or give it a policy that shuts the host out (--policy restricted)",
				"%s: its agent policy (%s) lets %s; binding it would let such a guest have every secret of the KBS; nothing was applied or registered", w.Object, w.Policy, e)
		}
	}
	return nil
}

// check reaches the admin API before anything is applied.
func (b *bindFlags) check(ctx context.Context) error {
	if _, err := b.admin.Client().ResourcePolicyIDs(ctx); err != nil {
		f := trustee.KBSFailure(err, "binding the workload's secrets needs the KBS's admin API at "+b.admin.URL)
		var ce *clierr.Error
		if errors.As(f, &ce) {
			ce.Fix = "give --admin-url (this machine's way to the KBS, e.g. kubectl port-forward -n trustee svc/trustee-kbs 8080, then http://127.0.0.1:8080) and --admin-key; or --bind=false"
		}
		return f
	}
	return nil
}

// register adds the workloads' digests to the reference values (the RVPS's sample extractor
// replaces a value: the list is read and written whole), then sets kubectl coco's attestation
// policy and the restricted resource policy.
func (b *bindFlags) register(ctx context.Context, workloads []WorkloadPolicy) (*Binding, error) {
	c := b.admin.Client()
	res := &Binding{KBS: b.admin.URL, ReferenceValues: map[string][]string{}}
	for _, tee := range slices.Sorted(maps.Keys(kbs.InitdataReferenceValues)) {
		id := kbs.InitdataReferenceValues[tee]
		values, _, err := c.ReferenceValue(ctx, id)
		if err != nil {
			return nil, trustee.KBSFailure(err, "reading reference value "+id)
		}
		for _, w := range workloads {
			if v := measured(w.Measurements, tee); v != "" && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		if err := c.SetSampleReferenceValue(ctx, id, values); err != nil {
			return nil, trustee.KBSFailure(err, "registering reference value "+id)
		}
		res.ReferenceValues[id] = values
		res.Registered = append(res.Registered, fmt.Sprintf("reference value %s (%d digests)", id, len(values)))
	}
	if err := c.SetAttestationPolicy(ctx, kbs.BoundPolicyID, []byte(kbs.BoundAttestationPolicy)); err != nil {
		return nil, trustee.KBSFailure(err, "setting the attestation policy")
	}
	if err := c.SetResourcePolicy(ctx, []byte(kbs.Profiles["restricted"])); err != nil {
		return nil, trustee.KBSFailure(err, "setting the resource policy")
	}
	res.Registered = append(res.Registered, "attestation policy "+kbs.BoundPolicyID+" (kubectl coco's: configuration affirming only for these digests)",
		"resource policy restricted (affirming guests only)")
	res.Bound = true
	return res, nil
}

// measured is the hex of a TEE's field in the measurements.
func measured(ms []initdata.Measured, tee string) string {
	for _, m := range ms {
		if m.TEE == tee {
			return m.Hex
		}
	}
	return ""
}

// workloadGVRs are where the cluster keeps pod templates (and pods).
var workloadGVRs = []schema.GroupVersionResource{
	{Version: "v1", Resource: "pods"}, {Group: "apps", Version: "v1", Resource: "deployments"}, {Group: "apps", Version: "v1", Resource: "statefulsets"},
	{Group: "apps", Version: "v1", Resource: "daemonsets"}, {Group: "apps", Version: "v1", Resource: "replicasets"},
	{Group: "batch", Version: "v1", Resource: "jobs"}, {Group: "batch", Version: "v1", Resource: "cronjobs"},
}

// inUse are the digests (per reference value id) the cluster's workloads carry, read from every
// namespace; a list that is forbidden or fails means nothing can be pruned safely. Objects a
// workload kind owns (a Deployment's ReplicaSets and pods, a CronJob's Jobs) are counted through
// their owner, so those of an owner just deleted, which the garbage collector removes later, and
// objects being deleted do not keep a digest alive; pods an operator of another kind owns count
// themselves. (Pods of a ReplicaSet a rollout is retiring count through their Deployment's new
// template.)
func inUse(ctx context.Context, c *kube.Clients) (map[string][]string, error) {
	out := map[string][]string{}
	for _, gvr := range workloadGVRs {
		list, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: gvr.GroupResource().String()})
		}
		var objs []*unstructured.Unstructured
		for i := range list.Items {
			if u := &list.Items[i]; !ownedByWorkload(u) && u.GetDeletionTimestamp() == nil {
				objs = append(objs, u)
			}
		}
		for _, t := range confidential.Templates(objs, "") {
			addDigests(out, t.Annotation(initdata.Annotation))
		}
	}
	return out, nil
}

// ownedByWorkload: an owner of u is a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob.
func ownedByWorkload(u *unstructured.Unstructured) bool {
	return slices.ContainsFunc(u.GetOwnerReferences(), func(o metav1.OwnerReference) bool {
		return slices.Contains([]string{"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}, o.Kind)
	})
}

func addDigests(out map[string][]string, annotation string) {
	if annotation == "" {
		return
	}
	doc, err := initdata.Decode(annotation)
	if err != nil {
		return
	}
	r, err := initdataReport(doc)
	if err != nil {
		return
	}
	for tee, id := range kbs.InitdataReferenceValues {
		if v := measured(r.Measurements, tee); v != "" && !slices.Contains(out[id], v) {
			out[id] = append(out[id], v)
		}
	}
}

// prune keeps, of each reference value, the digests some workload in the cluster carries.
func (b *bindFlags) prune(ctx context.Context, c *kube.Clients, res *Binding) error {
	used, err := inUse(ctx, c)
	if err != nil {
		return clierr.Wrap(err, "cannot tell which digests are in use, so none was pruned")
	}
	for _, id := range slices.Sorted(maps.Keys(kbs.InitdataReferenceValues)) {
		rv := kbs.InitdataReferenceValues[id]
		values, _, err := b.admin.Client().ReferenceValue(ctx, rv)
		if err != nil {
			return trustee.KBSFailure(err, "reading reference value "+rv)
		}
		keep := []string{}
		for _, v := range values {
			if slices.Contains(used[rv], v) {
				keep = append(keep, v)
			} else {
				res.Pruned = append(res.Pruned, rv+": "+v)
			}
		}
		if len(keep) == len(values) {
			continue
		}
		if err := b.admin.Client().SetSampleReferenceValue(ctx, rv, keep); err != nil {
			return trustee.KBSFailure(err, "pruning reference value "+rv)
		}
		res.ReferenceValues[rv] = keep
	}
	return nil
}
