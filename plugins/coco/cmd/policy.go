package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/agentpolicy"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/genpolicy"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

// The --policy values besides a file.
const (
	policyRestricted = "restricted"
	policyGenpolicy  = "genpolicy"
	policyAllowAll   = "allow-all"
)

// policyFlags choose the agent policy each workload's initdata carries (deploy, initdata).
type policyFlags struct {
	g         *cli.Globals
	Mode      string
	DenyLogs  bool
	AllowTags bool
	Genpolicy string

	file    string          // the user's policy (Mode names a file)
	tool    *genpolicy.Tool // found in complete (genpolicy)
	resolve imagepin.Resolver
	config  imagepin.ConfigFetcher
}

func (p *policyFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&p.Mode, "policy", policyRestricted, "the kata agent policy: restricted (kubectl coco's, per workload), genpolicy (kata's tool), allow-all, or a Rego FILE")
	f.BoolVar(&p.DenyLogs, "deny-logs", false, "restricted: the host may not read the containers' output either (kubectl logs shows nothing)")
	f.BoolVar(&p.AllowTags, "allow-tags", false, "keep images by tag instead of pinning them to the digest the registry serves now")
	f.StringVar(&p.Genpolicy, "genpolicy", "", "the genpolicy binary (default: genpolicy on PATH), with its rules.rego and genpolicy-settings.json beside it")
}

// pins says whether images are pinned: policies that hold the workload to its images.
func (p *policyFlags) pins() bool { return p.Mode == policyRestricted || p.Mode == policyGenpolicy }

// complete reads a policy file (checked as the agent needs it) or finds genpolicy.
func (p *policyFlags) complete(ctx context.Context) error {
	switch p.Mode {
	case policyRestricted, policyAllowAll:
	case policyGenpolicy:
		t, err := genpolicy.Find(ctx, p.Genpolicy)
		if err != nil {
			return clierr.Failf(genpolicy.InstallHint, "--policy genpolicy: %v", err)
		}
		p.tool = t
	case "":
		return clierr.Usagef("--policy restricted, genpolicy, allow-all or a Rego file", "--policy is empty")
	default:
		data, err := os.ReadFile(p.Mode)
		if err != nil {
			return clierr.Usagef("--policy restricted, genpolicy, allow-all or a Rego file", "--policy %s: %v", p.Mode, err)
		}
		if _, err := agentpolicy.Check(string(data)); err != nil {
			return clierr.Usagef("fix the policy, or use --policy restricted", "--policy %s: %v", p.Mode, err)
		}
		p.file = string(data)
	}
	if p.resolve == nil {
		p.resolve = imagepin.Registry(nil)
	}
	if p.config == nil {
		p.config = imagepin.RegistryConfig(nil)
	}
	return nil
}

// pinImages resolves the templates' images by tag to digests and rewrites them; a tag that does
// not resolve is refused.
func (p *policyFlags) pinImages(ctx context.Context, tmpls []confidential.Template) ([]imagepin.Pinned, error) {
	if !p.pins() {
		return nil, nil
	}
	var refs []string
	for _, t := range tmpls {
		refs = append(refs, t.Images()...)
	}
	pinned, err := imagepin.Pin(ctx, refs, p.resolve, p.AllowTags)
	var u *imagepin.Unresolved
	if errors.As(err, &u) {
		return nil, clierr.Failf("give the image by digest (image@sha256:...), make the registry reachable, or --allow-tags (the policy then trusts whatever the tag points at)", "%v", err)
	}
	if err != nil {
		return nil, clierr.Usagef("fix the image reference", "%v", err)
	}
	to, out := map[string]string{}, []imagepin.Pinned{}
	for _, pin := range pinned {
		to[pin.From] = pin.To
		out = append(out, pin)
		if pin.Resolved {
			p.g.Note("pinned image " + pin.From + " to " + pin.To)
		} else if p.AllowTags && pin.From == pin.To && !strings.Contains(pin.From, "@") {
			p.g.Warn("image " + pin.From + " stays a tag (--allow-tags): the policy admits whatever the registry serves under it")
		}
	}
	for _, t := range tmpls {
		t.ReplaceImages(to)
	}
	return out, nil
}

// WorkloadPolicy is what one workload's initdata carries.
type WorkloadPolicy struct {
	Object string `json:"object"`
	// Policy is where its agent policy comes from; Allows what the policy lets the host do.
	Policy agentpolicy.Kind    `json:"policy"`
	Allows agentpolicy.Effects `json:"allows"`
	// Verified: kubectl coco knows what the policy decides (its own, genpolicy's, allow-all);
	// a policy file of the user's is judged by sample requests only, which proves no more.
	Verified bool `json:"verified"`
	// Initdata is the document's digest; Measurements its value per TEE field.
	Initdata     string              `json:"initdata"`
	Measurements []initdata.Measured `json:"measurements"`
	annotation   string
}

// build makes each template's initdata: the base document (aa.toml, cdh.toml) with the policy
// the mode gives, or genpolicy's output for the whole manifest.
func (p *policyFlags) build(ctx context.Context, tmpls []confidential.Template, objs []*unstructured.Unstructured, base initdata.Options, class string) ([]WorkloadPolicy, error) {
	if p.Mode == policyGenpolicy {
		return p.fromGenpolicy(ctx, tmpls, objs, base, class)
	}
	var out []WorkloadPolicy
	for _, t := range tmpls {
		text, err := p.text(ctx, t)
		if err != nil {
			return nil, err
		}
		o := base
		o.Policy = text
		d, err := initdata.Build(o)
		if err != nil {
			return nil, clierr.Usagef("see kubectl coco initdata --help", "%s: %v", t.Object, err)
		}
		doc, err := d.Marshal()
		if err != nil {
			return nil, err
		}
		wp, err := describe(ctx, t.Object, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, wp)
	}
	return out, nil
}

// text is the policy of one template for the restricted, allow-all and file modes.
func (p *policyFlags) text(ctx context.Context, t confidential.Template) (string, error) {
	switch p.Mode {
	case policyRestricted:
		configs, err := imagepin.Configs(ctx, t.Images(), p.config)
		if err != nil {
			return "", clierr.Failf("the registry must answer (or use --policy genpolicy, or a policy FILE)",
				"the restricted policy pins the process each container runs, which comes from its image's config: %v", err)
		}
		spec, err := agentpolicy.SpecFromPod(t.Kind+" "+t.Namespace+"/"+t.Name, t.Namespace, t.Spec, !p.DenyLogs, configs)
		if err != nil {
			return "", clierr.Usagef("give every container a name and an image, and its command without $(VAR)", "%v", err)
		}
		return agentpolicy.Restricted(spec)
	case policyAllowAll:
		return agentpolicy.AllowAll(), nil
	}
	return p.file, nil
}

// fromGenpolicy runs genpolicy on the prepared manifest with the base document and reads each
// template's annotation back: our aa.toml and cdh.toml must be in it, with its policy.rego.
func (p *policyFlags) fromGenpolicy(ctx context.Context, tmpls []confidential.Template, objs []*unstructured.Unstructured, base initdata.Options, class string) ([]WorkloadPolicy, error) {
	d, err := initdata.Build(base)
	if err != nil && base.KBSURL != "" {
		return nil, err
	}
	var doc []byte
	if d != nil {
		if doc, err = d.Marshal(); err != nil {
			return nil, err
		}
	} else {
		doc = []byte("version = \"" + initdata.Version + "\"\nalgorithm = \"" + base.Algorithm + "\"\n\n[data]\n")
	}
	manifest, err := apply.YAML(objs)
	if err != nil {
		return nil, err
	}
	out, err := p.tool.Run(ctx, manifest, doc, class)
	if err != nil {
		return nil, clierr.Failf("run it by hand to see why: "+p.tool.Path+" -y FILE", "%v", err)
	}
	written, err := apply.Parse(out)
	if err != nil {
		return nil, clierr.Failf(genpolicy.Supported, "genpolicy's output does not parse: %v", err)
	}
	got := map[string]string{}
	for _, t := range confidential.Templates(written, "") {
		got[t.Object] = t.Annotation(initdata.Annotation)
	}
	var res []WorkloadPolicy
	for _, t := range tmpls {
		wp, err := p.genpolicyWorkload(ctx, t.Object, got[t.Object], d)
		if err != nil {
			return nil, err
		}
		res = append(res, wp)
	}
	return res, nil
}

func (p *policyFlags) genpolicyWorkload(ctx context.Context, object, annotation string, ours *initdata.Document) (WorkloadPolicy, error) {
	bad := func(why string) error {
		return clierr.Failf(genpolicy.Supported, "genpolicy %s gave %s %s", p.tool.Version, object, why)
	}
	if annotation == "" {
		return WorkloadPolicy{}, bad("no " + initdata.Annotation + " annotation")
	}
	doc, err := initdata.Decode(annotation)
	if err != nil {
		return WorkloadPolicy{}, bad("an annotation that does not decode: " + err.Error())
	}
	d, err := initdata.Parse(doc)
	if err != nil {
		return WorkloadPolicy{}, bad("initdata kata would refuse: " + err.Error())
	}
	if ours != nil {
		for k, v := range ours.Data {
			if d.Data[k] != v {
				return WorkloadPolicy{}, bad("initdata without kubectl coco's " + k)
			}
		}
	}
	if agentpolicy.KindOf(d.Data[initdata.KeyPolicy]) != agentpolicy.KindGenpolicy {
		return WorkloadPolicy{}, bad("no genpolicy policy.rego")
	}
	return describe(ctx, object, doc)
}

// describe measures a document and asks its policy what it allows.
func describe(ctx context.Context, object string, doc []byte) (WorkloadPolicy, error) {
	r, err := initdataReport(doc)
	if err != nil {
		return WorkloadPolicy{}, err
	}
	d, _ := initdata.Parse(doc)
	wp := WorkloadPolicy{Object: object, Policy: agentpolicy.KindOf(d.Data[initdata.KeyPolicy]), Initdata: r.Digest,
		Measurements: r.Measurements, annotation: r.Annotation.Value}
	if wp.Policy == agentpolicy.KindNone {
		wp.Allows = agentpolicy.Effects{Exec: true, Stdin: true, CopyFiles: true, SetPolicy: true, ForeignContainers: true, Logs: true}
		wp.Verified = true
		return wp, nil
	}
	if wp.Allows, err = agentpolicy.Evaluate(ctx, d.Data[initdata.KeyPolicy]); err != nil {
		return WorkloadPolicy{}, clierr.Failf("check the policy with opa eval", "%s: evaluating its agent policy: %v", object, err)
	}
	if wp.Policy == agentpolicy.KindFile && !wp.Allows.ShutsHostOut() {
		wp.Policy = fileOrAllowAll(wp.Allows)
	}
	wp.Verified = wp.Policy != agentpolicy.KindFile
	return wp, nil
}

// fileOrAllowAll names a user's policy that allows everything for what it is.
func fileOrAllowAll(e agentpolicy.Effects) agentpolicy.Kind {
	if e.Exec && e.Stdin && e.CopyFiles && e.SetPolicy && e.ForeignContainers {
		return agentpolicy.KindAllowAll
	}
	return agentpolicy.KindFile
}

// hostEntry says in words what a policy lets the host do ("" when it shuts the host out).
func hostEntry(e agentpolicy.Effects) string {
	var parts []string
	for _, x := range []struct {
		on   bool
		what string
	}{{e.Exec, "exec into the containers"}, {e.Stdin, "write to their stdin"}, {e.CopyFiles, "copy files into the guest"}, {e.SetPolicy, "replace the policy"},
		{e.ForeignContainers, "start containers of its own choice"}} {
		if x.on {
			parts = append(parts, x.what)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("the host can %s", strings.Join(parts, ", "))
}

// unverified says why a policy file's verdict is not a proof.
const unverified = "kubectl coco cannot tell: your policy refused the entries kubectl coco tried (exec, stdin, files, a new policy, a container of the host's choice), which proves no more"
