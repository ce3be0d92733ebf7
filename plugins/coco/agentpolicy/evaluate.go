package agentpolicy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Decision is what the agent does with a request under a policy (policy.rs allow_request): a
// boolean, or an object's "allowed" (its "ops" update the state); an undefined rule refuses.
type Decision struct {
	Allowed bool
	// Ops are the state changes an allowed object result carries.
	Ops []map[string]any
	// Undefined: the policy has no value for the request (the agent refuses it).
	Undefined bool
}

// Decide evaluates data.agent_policy.<request> on input, with state as data.pstate.
func Decide(ctx context.Context, policy, request string, input any, state map[string]any) (Decision, error) {
	if state == nil {
		state = map[string]any{}
	}
	rs, err := rego.New(rego.Query("data.agent_policy."+request), rego.Module("policy.rego", policy),
		rego.SetRegoVersion(ast.RegoV1), rego.Input(input), rego.Data(map[string]any{"pstate": state})).Eval(ctx)
	if err != nil {
		return Decision{}, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{Undefined: true}, nil
	}
	switch v := rs[0].Expressions[0].Value.(type) {
	case bool:
		return Decision{Allowed: v}, nil
	case map[string]any:
		d := Decision{}
		d.Allowed, _ = v["allowed"].(bool)
		if ops, ok := v["ops"].([]any); ok {
			for _, op := range ops {
				if m, ok := op.(map[string]any); ok {
					d.Ops = append(d.Ops, m)
				}
			}
		}
		return d, nil
	}
	return Decision{}, fmt.Errorf("%s: the policy's result is neither a boolean nor {allowed, ops}", request)
}

// Effects are what a policy lets the host do to a running workload, found by asking the policy
// about requests the host could send (not by trusting its name).
type Effects struct {
	// Exec: the host may run a shell in a container it started (kubectl exec).
	Exec bool `json:"exec"`
	// Stdin: the host may write to a process's stdin.
	Stdin bool `json:"stdin"`
	// CopyFiles: the host may copy a file outside kata's shared directory (into /etc).
	CopyFiles bool `json:"copyFiles"`
	// SetPolicy: the host may replace the policy.
	SetPolicy bool `json:"setPolicy"`
	// ForeignContainers: the host may start a container of an image and a command of its choice.
	ForeignContainers bool `json:"foreignContainers"`
	// Logs: the host may read the containers' output.
	Logs bool `json:"logs"`
}

// ShutsHostOut: no exec, no stdin, no files, no new policy, no containers of the host's choice.
func (e Effects) ShutsHostOut() bool {
	return !e.Exec && !e.Stdin && !e.CopyFiles && !e.SetPolicy && !e.ForeignContainers
}

// Evaluate finds a policy's effects. The exec question is asked for a container the policy
// itself started (a state entry as its CreateContainerRequest rule would leave, for each
// container name or index it knows), with a command no probe runs.
func Evaluate(ctx context.Context, policy string) (Effects, error) {
	var e Effects
	ask := func(request string, input any, states ...map[string]any) (bool, error) {
		if len(states) == 0 {
			states = []map[string]any{{}}
		}
		for _, st := range states {
			d, err := Decide(ctx, policy, request, input, st)
			if err != nil || d.Allowed {
				return d.Allowed, err
			}
		}
		return false, nil
	}
	const id = "kubectl-coco-probe"
	var err error
	if e.Exec, err = ask("ExecProcessRequest", map[string]any{"container_id": id, "exec_id": "x", "string_user": nil,
		"process": map[string]any{"Args": []string{"/bin/sh", "-c", "cat /proc/1/environ"}, "Terminal": false, "Capabilities": nil, "Cwd": "/",
			"Env": []string{"PATH=/usr/bin:/bin"}, "SelinuxLabel": "", "ApparmorProfile": "", "NoNewPrivileges": false,
			"User": map[string]any{"UID": 0, "GID": 0, "AdditionalGids": []int{}, "Username": ""}}}, execStates(policy, id)...); err != nil {
		return e, err
	}
	if e.Stdin, err = ask("WriteStreamRequest", map[string]any{"container_id": id, "exec_id": "x", "data": "ZWNobw=="}); err != nil {
		return e, err
	}
	if e.CopyFiles, err = ask("CopyFileRequest", map[string]any{"path": "/etc/ssl/certs/ca-certificates.crt", "file_type": "Regular", "file_size": 4,
		"file_mode": 420, "dir_mode": 493, "uid": 0, "gid": 0, "offset": 0, "data": "dGVzdA==", "symlink_target": ""}); err != nil {
		return e, err
	}
	if e.SetPolicy, err = ask("SetPolicyRequest", map[string]any{"policy": "package agent_policy\n"}); err != nil {
		return e, err
	}
	if e.ForeignContainers, err = ask("CreateContainerRequest", foreignContainer(policy)); err != nil {
		return e, err
	}
	e.Logs, err = ask("ReadStreamRequest", map[string]any{"container_id": id, "exec_id": "", "len": 8192})
	return e, err
}

// foreignContainer is a CreateContainerRequest for a container the workload does not have: an
// image and a shell of the host's choice, named as the policy's first container when it names
// one (so a policy that checks only names is caught), in the namespace it names.
func foreignContainer(policy string) map[string]any {
	cname, ns := "kubectl-coco-probe", "default"
	var data struct {
		Namespace  string `json:"namespace"`
		Containers []struct {
			Name string `json:"name"`
		} `json:"containers"`
	}
	if raw := policyData(policy); raw != "" && json.Unmarshal([]byte(raw), &data) == nil {
		if len(data.Containers) > 0 && data.Containers[0].Name != "" {
			cname = data.Containers[0].Name
		}
		if data.Namespace != "" {
			ns = data.Namespace
		}
	}
	const id = "kubectl-coco-probe"
	img := "registry.example/host-choice@sha256:" + strings.Repeat("0", 64)
	ann := map[string]any{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": cname,
		"io.kubernetes.cri.image-name": img, "io.kubernetes.cri.sandbox-namespace": ns}
	meta, _ := json.Marshal(map[string]any{"metadata": ann})
	return map[string]any{"container_id": id, "exec_id": id, "shared_mounts": []any{}, "string_user": nil, "devices": []any{}, "sandbox_pidns": false,
		"OCI": map[string]any{"Annotations": ann, "Hooks": nil, "Root": map[string]any{"Path": "/run/kata-containers/" + id + "/rootfs"}, "Mounts": []any{},
			"Process": map[string]any{"Args": []string{"/bin/sh", "-c", "cat /proc/1/environ"}, "Cwd": "/", "Env": []string{}, "Terminal": false}},
		"storages": []any{map[string]any{"driver": "image_guest_pull", "source": img, "mount_point": "/run/kata-containers/" + id + "/rootfs",
			"driver_options": []any{"image_guest_pull=" + string(meta)}}}}
}

// execStates are the states under which a container the policy started could be asked to exec:
// none, and one entry naming each container (by name, as ours keep it; by index, as genpolicy's).
func execStates(policy, id string) []map[string]any {
	states := []map[string]any{{}}
	for i := 0; i < 8; i++ {
		states = append(states, map[string]any{id: i})
	}
	var data struct {
		Containers []struct {
			Name string `json:"name"`
		} `json:"containers"`
	}
	if raw := policyData(policy); raw != "" && json.Unmarshal([]byte(raw), &data) == nil {
		for _, c := range data.Containers {
			states = append(states, map[string]any{id: c.Name})
		}
	}
	return states
}

// policyData is the JSON text after "policy_data := " (where ours and genpolicy's keep it).
func policyData(policy string) string {
	const key = "\npolicy_data := "
	for i := len(policy) - len(key); i >= 0; i-- {
		if policy[i:i+len(key)] == key {
			return policy[i+len(key):]
		}
	}
	return ""
}
