package agentpolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Container is what the restricted policy pins of one container of the workload.
type Container struct {
	Name string `json:"name"`
	// Images are the references its CreateContainerRequest may name (io.kubernetes.cri.image-name,
	// and the image_guest_pull storage's source): the pinned reference, as the pod spec gives it.
	Images []string `json:"images"`
	// ExecProbes are the commands of its exec probes (liveness, readiness, startup): the only
	// commands the host may run in it.
	ExecProbes [][]string `json:"exec_probes"`
}

// Spec is the workload a restricted policy is made for.
type Spec struct {
	// Workload names it (Kind namespace/name), for people reading the policy.
	Workload   string      `json:"workload"`
	Namespace  string      `json:"namespace"`
	Containers []Container `json:"containers"`
	// Logs lets the host read the containers' output (ReadStreamRequest): kubectl logs.
	Logs bool `json:"read_streams"`
}

// Marker opens every policy kubectl coco writes; Kind reads it back.
const Marker = "# kubectl-coco agent policy: "

// Restricted is the restricted policy for spec: the pod's own containers start from their pinned
// images and run; exec only for their exec probes, no stdin, files copied only into the shared
// directory kata copies volumes to, no new policy, logs as spec.Logs says.
func Restricted(spec Spec) (string, error) {
	if len(spec.Containers) == 0 {
		return "", fmt.Errorf("the workload has no containers")
	}
	for _, c := range spec.Containers {
		if len(c.Images) == 0 {
			return "", fmt.Errorf("container %s has no image", c.Name)
		}
	}
	data, err := json.MarshalIndent(map[string]any{"kubectl_coco": map[string]any{"profile": "restricted", "version": 1}, "workload": spec.Workload,
		"namespace": spec.Namespace, "containers": spec.Containers, "read_streams": spec.Logs}, "", "  ")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%srestricted\n# Written by kubectl coco for %s. The host may start, run and stop this workload's\n", Marker, spec.Workload)
	b.WriteString("# containers from their pinned images; it may not run other commands in them (only their exec\n")
	b.WriteString("# probes), write to their stdin, copy files outside kata's shared directory, or replace this policy.\n")
	if spec.Logs {
		b.WriteString("# The host may read the containers' output (kubectl logs).\n")
	} else {
		b.WriteString("# The host may not read the containers' output (kubectl logs shows nothing).\n")
	}
	b.WriteString(restrictedHead)
	names := slices.Clone(Requests)
	slices.Sort(names)
	for _, r := range names {
		def := "false"
		if slices.Contains(allowedByDefault, r) {
			def = "true"
		}
		if r == "ReadStreamRequest" && spec.Logs {
			def = "true"
		}
		fmt.Fprintf(&b, "default %s := %s\n\n", r, def)
	}
	b.WriteString(restrictedRules)
	fmt.Fprintf(&b, "\npolicy_data := %s\n", data)
	return b.String(), nil
}

const restrictedHead = `
package agent_policy

import rego.v1

default AllowRequestsFailingPolicy := false

`

// restrictedRules are the rules that allow what the defaults deny, when the request is one the
// workload needs. Field names are those of the agent's requests in JSON (protocols crate serde).
const restrictedRules = `# A container of this workload, from its pinned image; the pause container. The container's
# id is kept in the state (data.pstate) so exec can be checked against its own probes.
CreateContainerRequest := {"ops": [{"op": "add", "path": concat("/", ["/pstate", input.container_id]), "value": c.name}], "allowed": true} if {
	plain_container_request
	annotations := input.OCI.Annotations
	annotations["io.kubernetes.cri.container-type"] == "container"
	annotations["io.kubernetes.cri.sandbox-namespace"] == policy_data.namespace
	some c in policy_data.containers
	c.name == annotations["io.kubernetes.cri.container-name"]
	annotations["io.kubernetes.cri.image-name"] in c.images
	every s in object.get(input, "storages", []) {
		pinned_storage(s, c.images)
	}
}

CreateContainerRequest if {
	plain_container_request
	input.OCI.Annotations["io.kubernetes.cri.container-type"] == "sandbox"
	input.OCI.Annotations["io.kubernetes.cri.sandbox-namespace"] == policy_data.namespace
}

plain_container_request if {
	count(object.get(input, "shared_mounts", [])) == 0
	object.get(input, "string_user", null) == null
}

pinned_storage(s, _) if s.driver != "image_guest_pull"

pinned_storage(s, images) if {
	s.driver == "image_guest_pull"
	s.source in images
}

RemoveContainerRequest := {"ops": [{"op": "remove", "path": concat("/", ["/pstate", input.container_id])}], "allowed": true} if {
	data.pstate[input.container_id]
}

RemoveContainerRequest if not data.pstate[input.container_id]

# Exec: only a container's own exec probes, without a terminal, extra capabilities or labels.
ExecProcessRequest if {
	object.get(input, "string_user", null) == null
	p := input.process
	not p.Terminal
	object.get(p, "Capabilities", null) == null
	object.get(p, "SelinuxLabel", "") == ""
	object.get(p, "ApparmorProfile", "") == ""
	some c in policy_data.containers
	c.name == data.pstate[input.container_id]
	p.Args in c.exec_probes
}

# The sandbox: no guest hooks, no kernel modules, no shared PID namespace.
CreateSandboxRequest if {
	count(object.get(input, "guest_hook_path", "")) == 0
	count(object.get(input, "kernel_modules", [])) == 0
	object.get(input, "sandbox_pidns", false) == false
}

# Files kata copies for volumes, into its shared directory only (kata-agent's
# /run/kata-containers/shared/containers/<bundle>-<16 hex>-<name>), never climbing out.
shared_file_prefix := "^/run/kata-containers/shared/containers(?:/passthrough)?/(watchable/)?[a-z0-9]{64}-[a-z0-9]{16}-"

no_traversal(path) if not regex.match("(^|/)\\.\\.($|/)", path)

CopyFileRequest if {
	input.file_type in {"Regular", "Directory"}
	no_traversal(input.path)
	regex.match(shared_file_prefix, input.path)
}

CopyFileRequest if {
	input.file_type == "Symlink"
	no_traversal(input.path)
	regex.match(concat("", [shared_file_prefix, ".*/.+"]), input.path)
	no_traversal(input.symlink_target)
	not startswith(input.symlink_target, "/")
}

# The pod's network as the runtime sets it up; never the loopback device.
UpdateInterfaceRequest if {
	i := input.interface
	i.name != "lo"
	i.hwAddr != "00:00:00:00:00:00"
	bits.and(i.raw_flags, bits.negate(128)) == 0
}

UpdateRoutesRequest if {
	every r in input.routes.Routes {
		r.device != "lo"
		not loopback_source(r.source)
	}
}

loopback_source(s) if regex.match("^(?:0{0,4}:){0,7}0{0,3}1$", s)

loopback_source(s) if regex.match("^127\\.(?:[0-9]{1,3}\\.){2}[0-9]{1,3}$", s)

AddARPNeighborsRequest if {
	every n in input.neighbors.ARPNeighbors {
		n.device != "lo"
		not regex.match("^127\\.(?:[0-9]{1,3}\\.){2}[0-9]{1,3}$", n.toIPAddress.address)
		n.state in {2, 128}
		bits.and(n.flags, bits.negate(136)) == 0
	}
}
`
