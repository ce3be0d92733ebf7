package harness

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Stand-ins for TEE hardware evidence. No SNP or TDX machine runs here, so a test guest sends
// the fields of a report as JSON ("stand-in evidence": no signature, no certificate chain) and
// the stand-in verifies what Trustee v0.21.0's verifiers check of them and emits the claims in
// the shape they emit (deps/verifier/src/snp/mod.rs evaluate and parse_tee_evidence;
// deps/verifier/src/tdx/mod.rs and claims.rs generate_parsed_claim): the report data must be the
// expected report data zero-padded to 64 bytes; with init-data, HOSTDATA (SNP, 32 bytes) or
// MRCONFIGID (TDX, 48 bytes) must be its digest regularised to that length; init_data is
// always the hex of that field.

// SNPStandInEvidence is the stand-in for an SNP attestation report.
type SNPStandInEvidence struct {
	ReportData         string `json:"report_data"` // hex, 64 bytes
	HostData           string `json:"host_data"`   // hex, 32 bytes
	Measurement        string `json:"measurement"`
	PolicyDebugAllowed bool   `json:"policy_debug_allowed"`
	ReportedTCB        [4]int `json:"reported_tcb"` // bootloader, tee, snp, microcode
}

// TDXStandInEvidence is the stand-in for a TDX quote.
type TDXStandInEvidence struct {
	ReportData string `json:"report_data"`  // hex, 64 bytes
	MRConfigID string `json:"mr_config_id"` // hex, 48 bytes
	MRTD       string `json:"mr_td"`
	RTMR1      string `json:"rtmr_1"`
	RTMR2      string `json:"rtmr_2"`
	XFAM       string `json:"xfam"`
	Debug      bool   `json:"debug"`
	TCBStatus  string `json:"tcb_status"`
}

func init() {
	verifiers["snp"] = verifySNPStandIn
	verifiers["tdx"] = verifyTDXStandIn
}

// regularize is the verifiers' regularize_data: cut or zero-pad to n bytes.
func regularize(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}

func checkReportData(got string, expected []byte) error {
	b, err := hex.DecodeString(got)
	if err != nil || hex.EncodeToString(regularize(expected, 64)) != hex.EncodeToString(b) {
		return errors.New("Report Data Mismatch")
	}
	return nil
}

func verifySNPStandIn(evidence json.RawMessage, reportData, initDigest []byte) (map[string]any, string, error) {
	var ev SNPStandInEvidence
	if err := json.Unmarshal(evidence, &ev); err != nil {
		return nil, "", fmt.Errorf("not stand-in SNP evidence: %w", err)
	}
	if err := checkReportData(ev.ReportData, reportData); err != nil {
		return nil, "", err
	}
	host, err := hex.DecodeString(ev.HostData)
	if err != nil || len(host) != 32 {
		return nil, "", errors.New("HOST_DATA is not 32 bytes")
	}
	if initDigest != nil && hex.EncodeToString(regularize(initDigest, 32)) != ev.HostData {
		return nil, "", errors.New("HOST_DATA is different from that in SNP Report")
	}
	return map[string]any{"policy_abi_major": 0, "policy_abi_minor": 31, "policy_smt_allowed": true, "policy_migrate_ma": false,
		"policy_debug_allowed": ev.PolicyDebugAllowed, "policy_single_socket": false,
		"reported_tcb_bootloader": ev.ReportedTCB[0], "reported_tcb_tee": ev.ReportedTCB[1], "reported_tcb_snp": ev.ReportedTCB[2], "reported_tcb_microcode": ev.ReportedTCB[3],
		"platform_tsme_enabled": false, "platform_smt_enabled": true, "measurement": ev.Measurement, "report_data": ev.ReportData, "init_data": ev.HostData}, "cpu", nil
}

func verifyTDXStandIn(evidence json.RawMessage, reportData, initDigest []byte) (map[string]any, string, error) {
	var ev TDXStandInEvidence
	if err := json.Unmarshal(evidence, &ev); err != nil {
		return nil, "", fmt.Errorf("not stand-in TDX evidence: %w", err)
	}
	if err := checkReportData(ev.ReportData, reportData); err != nil {
		return nil, "", err
	}
	cfg, err := hex.DecodeString(ev.MRConfigID)
	if err != nil || len(cfg) != 48 {
		return nil, "", errors.New("MRCONFIGID is not 48 bytes")
	}
	if initDigest != nil && hex.EncodeToString(regularize(initDigest, 48)) != ev.MRConfigID {
		return nil, "", errors.New("MRCONFIGID is different from the init data digest")
	}
	return map[string]any{
		"quote": map[string]any{"header": map[string]any{"tee_type": "81000000", "vendor_id": "939a7233f79c4ca9940a0db3957f0607"},
			"body": map[string]any{"mr_td": ev.MRTD, "rtmr_1": ev.RTMR1, "rtmr_2": ev.RTMR2, "xfam": ev.XFAM, "mr_config_id": ev.MRConfigID, "report_data": ev.ReportData}},
		"td_attributes": map[string]any{"debug": ev.Debug}, "tcb_status": ev.TCBStatus, "collateral_expiration_status": "0",
		"report_data": ev.ReportData, "init_data": ev.MRConfigID}, "cpu", nil
}
