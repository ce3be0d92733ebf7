package harness

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/confidential"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

// GenpolicyStandInEnv makes a test binary play genpolicy (see GenpolicyStandIn): a test sets it,
// points --genpolicy at its own executable, and its TestMain runs GenpolicyStandIn.
const GenpolicyStandInEnv = "KUBECTL_COCO_GENPOLICY_STANDIN"

// GenpolicyStandIn is a test helper that plays kata-containers 4.1.0's genpolicy as kubectl coco
// depends on it (src/tools/genpolicy: utils.rs options, main.rs --version, policy.rs
// export_policy and generate_initdata_anno), since the Rust tool is not built here:
//   - --version prints "Kata Containers policy tool (Rust): id: genpolicy, version: 0.1.0, commit: ...";
//     --help lists its options, --initdata-path among them;
//   - -y FILE --initdata-path=F [--runtime-class-names C] [-p R] [-j S]: for each workload of the
//     YAML (whose runtime class starts with C, when given), the policy (rules, then
//     "policy_data := {json}") is inserted as policy.rego into the initdata document F, which
//     must parse, and its encoding (gzip, base64) written as the cc_init_data annotation of the
//     pod template; the file is rewritten; unknown options fail.
//
// Its rules are a small policy of ours in genpolicy's shape (its rule names, a policy_data
// document with the containers): they deny exec, stdin and a new policy, as genpolicy's defaults do.
func GenpolicyStandIn(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("genpolicy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yamlFile := fs.String("y", "", "Kubernetes input/output YAML file path")
	initPath := fs.String("initdata-path", "", "Path to the initdata TOML file")
	classes := fs.String("runtime-class-names", "", "runtime class name prefixes")
	_ = fs.String("p", "rules.rego", "Path to rego rules file")
	_ = fs.String("j", "genpolicy-settings.json", "Path to genpolicy settings file")
	version := fs.Bool("version", false, "Print version information and exit")
	help := fs.Bool("help", false, "help")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *version:
		fmt.Fprintln(stdout, "Kata Containers policy tool (Rust): id: genpolicy, version: 0.1.0, commit: 0123456789abcdef0123456789abcdef01234567")
		return 0
	case *help:
		fmt.Fprintln(stdout, "Usage: genpolicy [OPTIONS]\n  -y, --yaml-file <YAML_FILE>\n  -p, --rego-rules-path <REGO_RULES_PATH>\n  -j, --json-settings-path <JSON_SETTINGS_PATH>\n      --runtime-class-names <RUNTIME_CLASS_NAMES>\n      --initdata-path=<INITDATA_PATH>")
		return 0
	case *yamlFile == "":
		fmt.Fprintln(stderr, "genpolicy stand-in: reading stdin is not played")
		return 2
	}
	if err := genpolicyStandInRun(*yamlFile, *initPath, *classes); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

func genpolicyStandInRun(yamlFile, initPath, class string) error {
	data, err := os.ReadFile(yamlFile)
	if err != nil {
		return err
	}
	objs, err := apply.Parse(data)
	if err != nil {
		return err
	}
	base := initdata.Document{Version: initdata.Version, Algorithm: "sha256", Data: map[string]string{}}
	if initPath != "" {
		raw, err := os.ReadFile(initPath)
		if err != nil {
			return fmt.Errorf("Failed to read initdata file %s: %w", initPath, err)
		}
		if _, err := toml.Decode(string(raw), &base); err != nil {
			return fmt.Errorf("Failed to parse initdata from %s: %w", initPath, err)
		}
	}
	for _, t := range confidential.Templates(objs, "default") {
		if rc, _ := t.Spec["runtimeClassName"].(string); class != "" && !strings.HasPrefix(rc, class) {
			continue
		}
		if err := standInAnnotate(t, base); err != nil {
			return err
		}
	}
	out, err := apply.YAML(objs)
	if err != nil {
		return err
	}
	return os.WriteFile(yamlFile, out, 0o600)
}

func standInAnnotate(t confidential.Template, base initdata.Document) error {
	var containers []any
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := t.Spec[list].([]any)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			containers = append(containers, map[string]any{"name": m["name"], "image": m["image"]})
		}
	}
	pd, _ := json.MarshalIndent(map[string]any{"containers": containers}, "", "  ")
	doc := base
	doc.Data = map[string]string{}
	for k, v := range base.Data {
		doc.Data[k] = v
	}
	doc.Data[initdata.KeyPolicy] = genpolicyStandInRules + "\npolicy_data := " + string(pd)
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return err
	}
	enc, err := initdata.Encode(b.Bytes())
	if err != nil {
		return err
	}
	return t.SetAnnotation(initdata.Annotation, enc)
}

// genpolicyStandInRules stand in for genpolicy's rules.rego (written here, in its shape).
var genpolicyStandInRules = func() string {
	var b strings.Builder
	b.WriteString("package agent_policy\n\nimport rego.v1\n\n# genpolicy stand-in (kubectl coco tests)\ndefault AllowRequestsFailingPolicy := false\n\n")
	deny := map[string]bool{"ExecProcessRequest": true, "WriteStreamRequest": true, "CloseStdinRequest": true, "SetPolicyRequest": true,
		"CopyFileRequest": true, "ReadStreamRequest": true, "CreateContainerRequest": true}
	for _, r := range []string{"AddARPNeighborsRequest", "AddSwapPathRequest", "AddSwapRequest", "CloseStdinRequest", "CopyFileRequest", "CreateContainerRequest",
		"CreateSandboxRequest", "DestroySandboxRequest", "ExecProcessRequest", "GetDiagnosticDataRequest", "GetIPTablesRequest", "GetMetricsRequest",
		"GetOOMEventRequest", "GuestDetailsRequest", "ListInterfacesRequest", "ListRoutesRequest", "MemAgentCompactConfig", "MemAgentMemcgConfig",
		"MemHotplugByProbeRequest", "OnlineCPUMemRequest", "PauseContainerRequest", "PullImageRequest", "ReadStreamRequest", "RemoveContainerRequest",
		"RemoveStaleVirtiofsShareMountsRequest", "ReseedRandomDevRequest", "ResizeVolumeRequest", "ResumeContainerRequest", "SetGuestDateTimeRequest",
		"SetIPTablesRequest", "SetPolicyRequest", "SignalProcessRequest", "StartContainerRequest", "StartTracingRequest", "StatsContainerRequest",
		"StopTracingRequest", "TtyWinResizeRequest", "UpdateContainerRequest", "UpdateEphemeralMountsRequest", "UpdateInterfaceRequest",
		"UpdateRoutesRequest", "VolumeStatsRequest", "WaitProcessRequest", "WriteStreamRequest"} {
		fmt.Fprintf(&b, "default %s := %v\n", r, !deny[r])
	}
	b.WriteString("\nCreateContainerRequest if {\n\tallow_create_container_input\n\tsome c in policy_data.containers\n\tc.name == input.OCI.Annotations[\"io.kubernetes.cri.container-name\"]\n\tc.image == input.OCI.Annotations[\"io.kubernetes.cri.image-name\"]\n}\n")
	b.WriteString("\nallow_create_container_input if count(object.get(input, \"shared_mounts\", [])) == 0\n")
	return b.String()
}()
