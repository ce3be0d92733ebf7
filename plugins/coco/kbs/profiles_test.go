package kbs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

// The bound attestation policy and the resource policy profiles evaluated with OPA (where
// Trustee's AS and KBS use regorus) on claims shaped as trustee v0.21.0's verifiers emit them
// (deps/verifier/src/snp/mod.rs parse_tee_evidence, tdx/claims.rs generate_parsed_claim, sample)
// after the EAR broker's transform_claims (init_data and report_data lifted to the top).

const digest64 = "c6694bb7a29d6f37ec72a15582e004b9f3142159682db8509a304407419a49e5"

var digest96 = digest64 + strings.Repeat("0", 32)

// referenceValues are what kubectl coco and an operator registered in the RVPS.
var referenceValues = map[string]any{
	InitdataReferenceValues["snp"]: []any{digest64}, InitdataReferenceValues["tdx"]: []any{digest96},
	"snp_launch_measurement": []any{"aa11"}, "snp_bootloader": []any{10}, "snp_microcode": []any{219}, "snp_snp_svn": []any{23}, "snp_tee_svn": []any{0},
	"rtmr_1": []any{"r1"}, "rtmr_2": []any{"r2"}, "mr_td": []any{"td"}, "xfam": []any{"e71a060000000000"},
}

func snpClaims(initData string, debug bool) map[string]any {
	return map[string]any{"init_data": initData, "init_data_claims": map[string]any{"aa.toml": map[string]any{}}, "report_data": "ab", "runtime_data_claims": map[string]any{"nonce": "n"},
		"snp": map[string]any{"measurement": "aa11", "policy_debug_allowed": debug, "policy_migrate_ma": false, "policy_abi_major": 0, "policy_abi_minor": 31,
			"policy_smt_allowed": true, "policy_single_socket": false, "reported_tcb_bootloader": 10, "reported_tcb_microcode": 219,
			"reported_tcb_snp": 23, "reported_tcb_tee": 0, "platform_smt_enabled": true, "platform_tsme_enabled": false}}
}

func tdxClaims(initData string) map[string]any {
	return map[string]any{"init_data": initData, "init_data_claims": map[string]any{"aa.toml": map[string]any{}}, "report_data": "ab",
		"tdx": map[string]any{"quote": map[string]any{"header": map[string]any{"tee_type": "81000000", "vendor_id": "939a7233f79c4ca9940a0db3957f0607"},
			"body": map[string]any{"mr_td": "td", "rtmr_1": "r1", "rtmr_2": "r2", "mr_config_id": initData, "xfam": "e71a060000000000"}},
			"td_attributes": map[string]any{"debug": false}, "tcb_status": "UpToDate", "collateral_expiration_status": "0"}}
}

// earStatus evaluates an attestation policy as the EAR broker does: the trust claims, then the
// status as the worst tier (the ear crate's TrustClaim::tier).
func earStatus(t *testing.T, policy string, claims map[string]any) (string, map[string]any) {
	t.Helper()
	rs, err := rego.New(rego.Query("data.policy.trust_claims"), rego.Module("policy.rego", policy), rego.Input(claims),
		rego.Function1(&rego.Function{Name: "query_reference_value", Decl: types.NewFunction(types.Args(types.S), types.A)},
			func(_ rego.BuiltinContext, id *ast.Term) (*ast.Term, error) {
				v, ok := referenceValues[string(id.Value.(ast.String))]
				if !ok {
					return ast.NullTerm(), nil
				}
				val, err := ast.InterfaceToValue(v)
				return ast.NewTerm(val), err
			})).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("%v %v", rs, err)
	}
	vector := rs[0].Expressions[0].Value.(map[string]any)
	tier := 0
	for _, v := range vector {
		n, _ := v.(json.Number).Int64()
		a := max(n, -n)
		switch {
		case n >= -1 && n <= 1:
		case a < 32:
			tier = max(tier, 1)
		case a < 96:
			tier = max(tier, 2)
		default:
			tier = 3
		}
	}
	return []string{"none", "affirming", "warning", "contraindicated"}[tier], vector
}

func allowResource(t *testing.T, policy string, status string, tee string) bool {
	t.Helper()
	claims := map[string]any{"submods": map[string]any{"cpu0": map[string]any{"ear.status": status,
		"ear.veraison.annotated-evidence": map[string]any{tee: map[string]any{}}}}}
	rs, err := rego.New(rego.Query("data.policy.allow"), rego.Module("policy.rego", policy), rego.Input(claims),
		rego.Data(map[string]any{"plugin": "resource", "resource-path": []any{"default", "db", "password"}, "query": map[string]any{}})).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(rs) == 1 && rs[0].Expressions[0].Value == true
}

func TestBoundAttestationPolicy(t *testing.T) {
	other64, other96 := strings.Repeat("ee", 32), strings.Repeat("ee", 48)
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
		config int64
	}{
		{"SNP guest whose HOSTDATA is a deployed digest", snpClaims(digest64, false), "affirming", 2},
		{"SNP guest with another initdata", snpClaims(other64, false), "warning", 36},
		{"SNP guest in debug mode", snpClaims(digest64, true), "warning", 36},
		{"TDX guest whose MRCONFIGID is a deployed digest", tdxClaims(digest96), "affirming", 2},
		{"TDX guest with another initdata", tdxClaims(other96), "warning", 36},
		{"TDX guest with the SNP form of the digest", tdxClaims(digest64), "warning", 36},
		// A host that sets HOSTDATA to a registered digest but sends no initdata document: the
		// verifier reports init_data without having checked it (init_data_claims null).
		{"SNP guest with a registered HOSTDATA and no initdata document", func() map[string]any {
			c := snpClaims(digest64, false)
			c["init_data_claims"] = nil
			return c
		}(), "warning", 36},
		{"the sample TEE", map[string]any{"init_data": "xGlLt6KdbzfscqFVguAEufMUIVloLbhQmjBEB0GaSeU=", "sample": map[string]any{"svn": "1", "debug": false}}, "contraindicated", 36},
	} {
		status, vector := earStatus(t, BoundAttestationPolicy, tc.claims)
		if n, _ := vector["configuration"].(json.Number).Int64(); status != tc.want || n != tc.config {
			t.Errorf("%s: %s %v, want %s", tc.name, status, vector, tc.want)
		}
		// The restricted resource profile releases secrets only to an affirming guest.
		tee := "snp"
		if tc.claims["tdx"] != nil {
			tee = "tdx"
		} else if tc.claims["sample"] != nil {
			tee = "sample"
		}
		if got := allowResource(t, Profiles["restricted"], status, tee); got != (tc.want == "affirming") {
			t.Errorf("%s: restricted released %v", tc.name, got)
		}
	}
	// permissive releases to anyone attested, the sample TEE included: for development only.
	if !allowResource(t, Profiles["permissive"], "contraindicated", "sample") {
		t.Error("permissive")
	}
}
