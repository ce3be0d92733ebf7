package kbs

// Resource policy profiles: the KBS evaluates the resource policy (package policy, rule allow)
// only for requests that carry a valid attestation token, on the token's claims (input: the
// EAR submods, kbs/sample_policies/default.rego documents the shape). Written here from the
// rules of trustee v0.21.0's kbs/sample_policies.
var Profiles = map[string]string{
	// restricted: every submodule of the attestation result is affirming (the AS's verdict
	// that the evidence matched its reference values), as sample_policies/affirming.rego.
	"restricted": `package policy

import rego.v1

# kubectl coco profile "restricted": every attested submodule must be affirming.
default allow := false

allow if {
	count(input.submods) > 0
	every _, submod in input.submods {
		submod["ear.status"] == "affirming"
	}
}
`,
	// permissive: any attested requester, the sample TEE and coco-dev guests included: for
	// development only.
	"permissive": `package policy

# kubectl coco profile "permissive": any attested requester, the sample TEE included.
# For development only: it protects nothing against a host that fakes the sample TEE.
default allow := true
`,
}
