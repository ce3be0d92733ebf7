package confidential

import (
	"fmt"
	"strings"
)

// checkSpec names what a confidential guest changes for this pod spec. The guest is a VM with
// its own kernel, devices and network namespace, and pulls images itself (CoCo's guest image
// pull): what reaches into the host does not reach it, and what the kubelet would do for the
// pod with host credentials it cannot.
func (r *Result) checkSpec(name string, spec map[string]any, kind string) {
	for _, f := range []struct{ field, what string }{
		{"hostNetwork", "the host's network"}, {"hostPID", "the host's processes"}, {"hostIPC", "the host's IPC"},
	} {
		if on, _ := spec[f.field].(bool); on {
			r.warn(name, fmt.Sprintf("%s: true does not give a guest VM %s; remove it", f.field, f.what))
		}
	}
	volumes, _ := spec["volumes"].([]any)
	for _, v := range volumes {
		vol, _ := v.(map[string]any)
		if hp, ok := vol["hostPath"].(map[string]any); ok {
			r.warn(name, fmt.Sprintf("volume %v is a hostPath (%v): the host's files are shared into the guest unencrypted and unmeasured; use a Secret, a sealed secret or storage the guest encrypts", vol["name"], hp["path"]))
		}
	}
	if secrets, _ := spec["imagePullSecrets"].([]any); len(secrets) > 0 {
		r.warn(name, "imagePullSecrets: the guest pulls images itself and does not see them; give it the registry credentials through the KBS (the Confidential Data Hub's image configuration in initdata)")
	}
	if kind == "DaemonSet" {
		r.warn(name, "a DaemonSet runs on every node it selects: nodes without the runtime class's handler cannot start its pods; give it the runtime class's node selector")
	}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			r.checkContainer(name, list, c)
		}
	}
}

func (r *Result) checkContainer(name, list string, c any) {
	ct, _ := c.(map[string]any)
	cname := fmt.Sprintf("%s %v", strings.TrimSuffix(list, "s"), ct["name"])
	if sc, ok := ct["securityContext"].(map[string]any); ok {
		if priv, _ := sc["privileged"].(bool); priv {
			r.warn(name, cname+" is privileged: it gets the guest's devices, not the host's, and a restrictive agent policy refuses it")
		}
	}
	if img, _ := ct["image"].(string); img != "" && !strings.Contains(img, "@sha256:") {
		r.warn(name, fmt.Sprintf("%s: image %s is pulled by tag inside the guest; pin a digest (image@sha256:...) so that what runs is what the agent policy and attestation cover", cname, img))
	}
}
