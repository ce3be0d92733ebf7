package agentpolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Container is what the restricted policy pins of one container of the workload: what it runs
// from which image, with which environment, capabilities and mounts.
type Container struct {
	Name string `json:"name"`
	// Images are the references its CreateContainerRequest may name (io.kubernetes.cri.image-name,
	// and the image_guest_pull storage's source): the pinned reference, as the pod spec gives it.
	Images []string `json:"images"`
	// Args and Cwd are the process it runs (the pod's command and args over the image's
	// entrypoint and cmd, as containerd makes them; the working directory).
	Args []string `json:"args"`
	Cwd  string   `json:"cwd"`
	// Env are the exact NAME=VALUE it may get (the image's and the pod's literal ones); EnvNames
	// the names whose value the pod takes from elsewhere (any value); EnvFrom: envFrom sources,
	// so any name but the dynamic loader's (LD_*).
	Env      []string `json:"env"`
	EnvNames []string `json:"env_names"`
	EnvFrom  bool     `json:"env_from"`
	// Caps are the capabilities it may hold (containerd's default set, with the pod's additions
	// and without its drops); Privileged containers may hold any.
	Caps       []string `json:"caps"`
	Privileged bool     `json:"privileged"`
	// Mounts are the destinations of its volume mounts (besides the ones every container has).
	Mounts []string `json:"mounts"`
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
		if c.Cwd == "" {
			return "", fmt.Errorf("container %s has no working directory", c.Name)
		}
	}
	data, err := json.MarshalIndent(map[string]any{"kubectl_coco": map[string]any{"profile": "restricted", "version": 1}, "workload": spec.Workload,
		"namespace": spec.Namespace, "containers": spec.Containers, "read_streams": spec.Logs}, "", "  ")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%srestricted\n# Written by kubectl coco for %s. The host may start, run and stop this workload's\n", Marker, spec.Workload)
	b.WriteString("# containers from their pinned images with their own process, environment, capabilities and\n")
	b.WriteString("# mounts; it may not run other commands in them (only their exec probes), write to their stdin,\n")
	b.WriteString("# copy files outside kata's shared directory, or replace this policy.\n")
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
// What a container may be is held as genpolicy holds it (rules.rego allow_create_container_input,
// allow_process, allow_linux; the storages' guest-pull metadata the agent reads in image.rs): no
// hooks, the rootfs where the agent mounts it, the process, environment, capabilities and mounts
// the workload's spec and image config give.
const restrictedRules = `# A container of this workload, from its pinned image. Its id is kept in the state
# (data.pstate) so exec can be checked against its own probes.
CreateContainerRequest := {"ops": [{"op": "add", "path": concat("/", ["/pstate", input.container_id]), "value": c.name}], "allowed": true} if {
	plain_container_request
	annotations := input.OCI.Annotations
	annotations["io.kubernetes.cri.container-type"] == "container"
	annotations["io.kubernetes.cri.sandbox-namespace"] == policy_data.namespace
	some c in policy_data.containers
	c.name == annotations["io.kubernetes.cri.container-name"]
	annotations["io.kubernetes.cri.image-name"] in c.images
	count([s | some s in input.storages; s.driver == "image_guest_pull"]) == 1
	every s in input.storages {
		pinned_storage(s, c.images, "container")
	}
	pinned_root
	p := input.OCI.Process
	p.Args == c.args
	p.Cwd == c.cwd
	every e in object.get(p, "Env", []) {
		env_ok(e, c)
	}
	caps_ok(object.get(p, "Capabilities", null), c)
	every m in object.get(input.OCI, "Mounts", []) {
		mount_ok(m, c.mounts)
	}
}

# The pause container: /pause, no volumes, and if the guest pulls it, kubernetes' pause image.
CreateContainerRequest if {
	plain_container_request
	annotations := input.OCI.Annotations
	annotations["io.kubernetes.cri.container-type"] == "sandbox"
	annotations["io.kubernetes.cri.sandbox-namespace"] == policy_data.namespace
	count([s | some s in object.get(input, "storages", []); s.driver == "image_guest_pull"]) <= 1
	every s in object.get(input, "storages", []) {
		pinned_storage(s, [], "sandbox")
	}
	pinned_root
	input.OCI.Process.Args == ["/pause"]
	every m in object.get(input.OCI, "Mounts", []) {
		mount_ok(m, [])
	}
}

plain_container_request if {
	count(object.get(input, "shared_mounts", [])) == 0
	object.get(input, "string_user", null) == null
	object.get(input.OCI, "Hooks", null) == null
}

pinned_root if input.OCI.Root.Path == concat("", ["/run/kata-containers/", input.container_id, "/rootfs"])

# A storage the guest pulls an image into names the image and the kind of container in its
# metadata (driver_options "image_guest_pull={...}"): the agent decides pause or not from it.
# Any other storage (a volume) must not land on the container's root file system, where the
# host could put a root file system of its own.
pinned_storage(s, _, _) if {
	s.driver != "image_guest_pull"
	s.mount_point != concat("", ["/run/kata-containers/", input.container_id, "/rootfs"])
}

pinned_storage(s, images, kind) if {
	s.driver == "image_guest_pull"
	some opt in s.driver_options
	startswith(opt, "image_guest_pull=")
	meta := json.unmarshal(substring(opt, count("image_guest_pull="), -1)).metadata
	meta["io.kubernetes.cri.container-type"] == kind
	pulled_image_ok(s.source, meta["io.kubernetes.cri.image-name"], images, kind)
}

pulled_image_ok(source, name, images, "container") if {
	source in images
	name in images
}

pulled_image_ok(source, name, _, "sandbox") if {
	regex.match("^registry\\.k8s\\.io/pause[:@]", source)
	source == name
}

env_ok(e, c) if e in c.env

env_ok(e, c) if {
	some n in c.env_names
	startswith(e, concat("", [n, "="]))
}

env_ok(e, c) if {
	c.env_from
	not startswith(e, "LD_")
}

# Variables the kubelet sets: the pod's hostname and the services' links.
env_ok(e, _) if regex.match("^HOSTNAME=[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", e)

env_ok(e, _) if regex.match("^[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT|SERVICE_PORT_[A-Z0-9_]+|PORT|PORT_[0-9]+_(TCP|UDP|SCTP)|PORT_[0-9]+_(TCP|UDP|SCTP)_(PROTO|PORT|ADDR))=[A-Za-z0-9.:/_-]*$", e)

caps_ok(null, _)

caps_ok(caps, c) if {
	caps != null
	c.privileged
}

caps_ok(caps, c) if {
	caps != null
	every k in ["Ambient", "Bounding", "Effective", "Inheritable", "Permitted"] {
		every x in object.get(caps, k, []) {
			x in c.caps
		}
	}
}

# Every container's own mounts (kata's shared files, the pod's /dev/shm, proc, sys...), and the
# destinations of the workload's volume mounts; never another container's root file system.
standard_mounts := {"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/dev/shm", "/sys", "/sys/fs/cgroup", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/termination-log", "/var/run/secrets/kubernetes.io/serviceaccount"}

mount_ok(m, mounts) if {
	m.destination in standard_mounts
	not rootfs_source(m.source)
}

mount_ok(m, mounts) if {
	m.destination in mounts
	not rootfs_source(m.source)
}

rootfs_source(src) if regex.match("^/run/kata-containers/(shared/containers/)?[^/]+/rootfs", src)

RemoveContainerRequest := {"ops": [{"op": "remove", "path": concat("/", ["/pstate", input.container_id])}], "allowed": true} if {
	data.pstate[input.container_id]
}

RemoveContainerRequest if not data.pstate[input.container_id]

# Exec: only a container's own exec probes, in its directory and environment, without a
# terminal, extra capabilities or labels.
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
	p.Cwd == c.cwd
	every e in object.get(p, "Env", []) {
		env_ok(e, c)
	}
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
