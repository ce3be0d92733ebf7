// Package tee holds the vocabulary shared by every TEE and CoCo readiness verdict: checks,
// their statuses and evidence, TEE kinds, and which CoCo runtime classes fit a node.
package tee

import (
	"fmt"
	"slices"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// Status is the outcome of one check: the collection's one vocabulary (lib/report).
type Status = report.Status

const (
	Pass    = report.Pass
	Fail    = report.Fail
	Warn    = report.Warn
	Skip    = report.Skip
	Unknown = report.Unknown
)

// Evidence is one observed value and where it was read.
type Evidence struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Check is one named prerequisite or finding.
type Check struct {
	ID       string     `json:"name"`
	Status   Status     `json:"status"`
	Message  string     `json:"detail"`
	Evidence []Evidence `json:"evidence,omitempty"`
	Fix      string     `json:"fix,omitempty"`
}

// Ev is shorthand for a single piece of evidence.
func Ev(value, source string) []Evidence { return []Evidence{{Value: value, Source: source}} }

// Kind names a trusted execution environment.
type Kind string

const (
	SEVSNP   Kind = "sev-snp"
	SEV      Kind = "sev"
	SEVES    Kind = "sev-es"
	TDX      Kind = "tdx"
	SE       Kind = "se"
	SGX      Kind = "sgx"
	NvidiaCC Kind = "nvidia-cc"
)

// Detection says whether a TEE was found, proven absent, or cannot be told.
type Detection string

const (
	Found      Detection = "found"
	None       Detection = "none"
	Undetected Detection = "unknown"
)

// TEEReport is what is known about a machine's TEEs.
type TEEReport struct {
	Status Detection `json:"status"`
	Kinds  []Kind    `json:"kinds"`
	// ConfidentialGuest is true when the machine itself runs inside a confidential VM.
	ConfidentialGuest bool   `json:"confidentialGuest"`
	Source            string `json:"source"`
}

// String renders the kinds for a table cell.
func (r TEEReport) String() string {
	switch {
	case r.Status == Undetected:
		return "unknown"
	case len(r.Kinds) == 0:
		return "none"
	}
	s := make([]string, len(r.Kinds))
	for i, k := range r.Kinds {
		s[i] = string(k)
	}
	out := strings.Join(s, ",")
	if r.ConfidentialGuest {
		out += " (guest)"
	}
	return out
}

// Has reports whether kind k was found.
func (r TEEReport) Has(k Kind) bool { return slices.Contains(r.Kinds, k) }

// Requirement is what --require demands: a kind, or any TEE.
type Requirement string

// RequireAny demands some TEE, whichever.
const RequireAny Requirement = "any"

var requireAliases = map[string]Requirement{
	"snp": Requirement(SEVSNP), "sev-snp": Requirement(SEVSNP), "tdx": Requirement(TDX),
	"se": Requirement(SE), "sgx": Requirement(SGX), "nvidia-cc": Requirement(NvidiaCC), "any": RequireAny,
}

// ParseRequirement accepts snp|sev-snp|tdx|se|sgx|nvidia-cc|any, or "" for no requirement.
func ParseRequirement(s string) (Requirement, error) {
	if s == "" {
		return "", nil
	}
	if r, ok := requireAliases[strings.ToLower(s)]; ok {
		return r, nil
	}
	return "", fmt.Errorf("unknown TEE %q for --require: use one of snp, tdx, se, sgx, nvidia-cc, any", s)
}

// RequirementCheck turns a requirement into a check against what was detected.
func RequirementCheck(req Requirement, r TEEReport) *Check {
	if req == "" {
		return nil
	}
	c := &Check{ID: "tee-required", Evidence: Ev(r.String(), r.Source)}
	met := (req == RequireAny && len(r.Kinds) > 0) || r.Has(Kind(req))
	switch {
	case met:
		c.Status, c.Message = Pass, fmt.Sprintf("required TEE %s found", req)
	case r.Status == Undetected:
		c.Status, c.Message = Fail, fmt.Sprintf("required TEE %s not proven: the evidence cannot tell", req)
		c.Fix = "run with --deep to probe the host, or install Node Feature Discovery so nodes carry TEE labels"
	default:
		c.Status, c.Message = Fail, fmt.Sprintf("required TEE %s not found", req)
		c.Fix = "choose nodes with that TEE (e.g. -l " + NFDLabelFor(Kind(req)) + "=true) or enable it in BIOS and kernel"
	}
	return c
}

// NFDLabelFor is the Node Feature Discovery label that advertises kind k.
func NFDLabelFor(k Kind) string {
	switch k {
	case SEVSNP:
		return NFDPrefix + "cpu-security.sev.snp.enabled"
	case SEV:
		return NFDPrefix + "cpu-security.sev.enabled"
	case SEVES:
		return NFDPrefix + "cpu-security.sev.es.enabled"
	case TDX:
		return NFDPrefix + "cpu-security.tdx.enabled"
	case SE:
		return NFDPrefix + "cpu-security.se.enabled"
	case SGX:
		return NFDPrefix + "cpu-security.sgx.enabled"
	case NvidiaCC:
		return NvidiaCCLabel
	}
	return NFDPrefix + "cpu-security"
}

// Label keys read by the checks.
const (
	NFDPrefix       = "feature.node.kubernetes.io/"
	NvidiaCCLabel   = "nvidia.feature.node.kubernetes.io/cc.capable"
	WorkerLabel     = "node.kubernetes.io/worker"
	KataRuntime     = "katacontainers.io/kata-runtime"
	InstanceType    = "node.kubernetes.io/instance-type"
	InstanceTypeOld = "beta.kubernetes.io/instance-type"
)

// Ready is true when no check failed.
func Ready(checks []Check) bool {
	for _, c := range checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Failed returns the checks that failed, then those that warn.
func Failed(checks []Check) []Check {
	var out []Check
	for _, s := range []Status{Fail, Warn} {
		for _, c := range checks {
			if c.Status == s {
				out = append(out, c)
			}
		}
	}
	return out
}
