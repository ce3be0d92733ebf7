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

// Reference value ids under which kubectl coco registers the initdata digests of the
// workloads it deployed, in the form each TEE's verifier reports init_data (trustee v0.21.0
// deps/verifier: SNP hex(HOSTDATA), 32 bytes; TDX hex(MRCONFIGID), 48 bytes).
var InitdataReferenceValues = map[string]string{"snp": "kubectl-coco-initdata-snp", "tdx": "kubectl-coco-initdata-tdx"}

// BoundPolicyID is the attestation policy the KBS asks its AS for: "default" (kbs
// attestation/coco/grpc.rs verify), with the TEE class appended by the broker ("_cpu").
const BoundPolicyID = "default_cpu"

// BoundAttestationPolicy is kubectl coco's attestation policy, written from the AR4SI trust
// claims the AS's EAR broker reads (data.policy.trust_claims; ear_token/broker.rs): hardware
// and executables as Trustee's default policy judges them for SNP and TDX (against the reference
// values it names), and configuration affirming (2) only when the guest's init_data, the initdata
// digest its TEE reports and the verifier checked against the initdata document, is one of the
// digests kubectl coco registered for the workloads it deployed, and the verifier checked it
// against the initdata document the guest sent (init_data_claims is null when no document came:
// the verifiers report HOSTDATA/MRCONFIGID as init_data whether or not they checked it; AS
// lib.rs parse_init_data); debug off in either case. The sample TEE gets no affirming claim: it
// proves nothing.
const BoundAttestationPolicy = `package policy

import rego.v1

# kubectl-coco attestation policy: bound (v1)
# configuration is affirming only for a guest whose initdata kubectl coco deployed.

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

deployed(tee) if {
	is_object(input.init_data_claims)
	input.init_data in query_reference_value(concat("", ["kubectl-coco-initdata-", tee]))
}

# AMD SEV-SNP: HOSTDATA carries the initdata digest.
executables := 3 if {
	input.snp
	input.snp.measurement in query_reference_value("snp_launch_measurement")
}

hardware := 2 if {
	input.snp
	input.snp.reported_tcb_bootloader in query_reference_value("snp_bootloader")
	input.snp.reported_tcb_microcode in query_reference_value("snp_microcode")
	input.snp.reported_tcb_snp in query_reference_value("snp_snp_svn")
	input.snp.reported_tcb_tee in query_reference_value("snp_tee_svn")
}

configuration := 2 if {
	input.snp
	input.snp.policy_debug_allowed == false
	input.snp.policy_migrate_ma == false
	deployed("snp")
}

# Intel TDX: MRCONFIGID carries the initdata digest.
executables := 3 if {
	input.tdx
	input.tdx.quote.body.rtmr_1 in query_reference_value("rtmr_1")
	input.tdx.quote.body.rtmr_2 in query_reference_value("rtmr_2")
}

hardware := 2 if {
	input.tdx
	input.tdx.quote.header.tee_type == "81000000"
	input.tdx.quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input.tdx.quote.body.mr_td in query_reference_value("mr_td")
	input.tdx.tcb_status == "UpToDate"
	input.tdx.collateral_expiration_status == "0"
}

configuration := 2 if {
	input.tdx
	input.tdx.td_attributes.debug == false
	input.tdx.quote.body.xfam in query_reference_value("xfam")
	deployed("tdx")
}
`
