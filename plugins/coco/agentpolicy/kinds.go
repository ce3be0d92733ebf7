package agentpolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Kind is where a policy comes from.
type Kind string

const (
	// KindRestricted is kubectl coco's restricted policy for one workload.
	KindRestricted Kind = "restricted"
	// KindGenpolicy is a policy kata's genpolicy generated (its rules.rego with policy_data).
	KindGenpolicy Kind = "genpolicy"
	// KindAllowAll lets the host do everything: the default of release guest images.
	KindAllowAll Kind = "allow-all"
	// KindFile is a policy the user wrote.
	KindFile Kind = "file"
	// KindNone: the initdata carries no policy, so the guest image's own applies (allow-all in
	// kata's release images, src/kata-opa/allow-all.rego).
	KindNone Kind = "none"
)

// AllowAll is an allow-all policy of ours, for --policy allow-all: every request the agent asks
// about is allowed, as kata's src/kata-opa/allow-all.rego does. The host can enter the workload.
func AllowAll() string {
	var b strings.Builder
	b.WriteString(Marker + "allow-all\n# Written by kubectl coco on request (--policy allow-all): the host may do everything,\n")
	b.WriteString("# including exec into the containers and reading their memory through them. NOT confidential.\n\npackage agent_policy\n\n")
	b.WriteString("default AllowRequestsFailingPolicy := false\n\n")
	for _, r := range Requests {
		fmt.Fprintf(&b, "default %s := true\n\n", r)
	}
	return b.String()
}

// KindOf names a policy's origin from its text: kubectl coco's marker, genpolicy's shape (its
// rules and a policy_data document), else the user's file. An allow-all policy is recognised by
// its effect, not its name (Evaluate).
func KindOf(rego string) Kind {
	switch {
	case strings.TrimSpace(rego) == "":
		return KindNone
	case strings.HasPrefix(rego, Marker+"restricted\n"):
		return KindRestricted
	case strings.HasPrefix(rego, Marker+"allow-all\n"):
		return KindAllowAll
	case strings.Contains(rego, "\npolicy_data := {") && strings.Contains(rego, "allow_create_container_input"):
		return KindGenpolicy
	}
	return KindFile
}

// Check holds a policy to what the kata agent needs of it: it parses as Rego (v1, as regorus
// reads it), its package is agent_policy, and every request a pod needs has a rule (an undefined
// one is refused by the agent, so no pod would start). Other undefined requests are listed.
func Check(rego string) (undefined []string, err error) {
	mod, err := ast.ParseModuleWithOpts("policy.rego", rego, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("the policy does not parse as Rego: %w", err)
	}
	if pkg := mod.Package.Path.String(); pkg != "data.agent_policy" {
		return nil, fmt.Errorf("the policy's package is %s: the kata agent evaluates data.agent_policy", strings.TrimPrefix(pkg, "data."))
	}
	defined := map[string]bool{}
	for _, r := range mod.Rules {
		defined[r.Head.Name.String()] = true
		if len(r.Head.Reference) > 0 {
			defined[r.Head.Reference[0].Value.(ast.Var).String()] = true
		}
	}
	var missing []string
	for _, r := range Requests {
		if !defined[r] {
			undefined = append(undefined, r)
			if slices.Contains(PodNeeds, r) {
				missing = append(missing, r)
			}
		}
	}
	if len(missing) > 0 {
		return undefined, fmt.Errorf("the policy defines no rule for %s: the kata agent refuses a request whose rule is undefined, so no pod would start",
			strings.Join(missing, ", "))
	}
	return undefined, nil
}
