package harness

// The policies the KBS stand-in starts with. They are ours, written to decide as Trustee
// v0.21.0's defaults decide for the requesters the tests make; the upstream files are named so a
// reader can hold one against the other.

// defaultResourcePolicy decides as kbs/sample_policies/default.rego, which the KBS sets as
// "resource-policy" at start (api_server.rs ApiServer::new): the resource plugin is open to any
// requester with an attestation token, except one whose evidence is the sample TEE's. It does not
// look at ear.status: a guest whose evidence matched no reference value still gets resources.
const defaultResourcePolicy = `package policy

# KBS stand-in: the default resource policy (decides as trustee v0.21.0 kbs/sample_policies/default.rego).
default allow := false

allow if {
	data.plugin == "resource"
	not sample_tee
}

sample_tee if input.submods.cpu0["ear.veraison.annotated-evidence"].sample
`

// defaultAttestationPolicy decides as attestation-service/src/ear_token/ear_default_policy_cpu.rego
// ("default_cpu") for the sample TEE: executables affirming (3) when the launch digest is a
// reference value, hardware (2) when svn, platform major and minimum minor version are, and
// configuration (2) when debug is off; otherwise 33, 97 and 36, the other claims 0. The upstream
// policy never looks at init_data.
const defaultAttestationPolicy = `package policy

# KBS stand-in: the AS's default CPU policy for the sample TEE (decides as trustee v0.21.0
# attestation-service/src/ear_token/ear_default_policy_cpu.rego).
default executables := 33

default hardware := 97

default configuration := 36

trust_claims := {
	"executables": executables,
	"hardware": hardware,
	"configuration": configuration,
	"file-system": 0,
	"instance-identity": 0,
	"runtime-opaque": 0,
	"storage-opaque": 0,
	"sourced-data": 0,
}

executables := 3 if {
	input.sample
	input.sample.launch_digest in query_reference_value("launch_digest")
}

hardware := 2 if {
	input.sample
	input.sample.svn in query_reference_value("svn")
	input.sample.platform_version.major == query_reference_value("major_version")
	input.sample.platform_version.minor >= query_reference_value("minimum_minor_version")
}

configuration := 2 if {
	input.sample
	input.sample.debug == false
}
`
