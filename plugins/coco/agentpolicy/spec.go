package agentpolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
)

// DefaultCaps are the capabilities containerd gives a container that asks for none
// (containerd's oci.DefaultCaps; genpolicy-settings.json common.default_caps at kata 4.1.0).
var DefaultCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// SpecFromPod is the restricted policy's view of a pod spec (as unstructured JSON): every init
// and app container with its image, the process it runs (the image's config is needed for
// that: configs, by image reference as the spec gives it), its environment, capabilities,
// mounts and exec probes. Ephemeral containers (kubectl debug) are left out on purpose: the
// policy refuses them.
func SpecFromPod(workload, namespace string, podSpec map[string]any, logs bool, configs map[string]*imagepin.ImageConfig) (Spec, error) {
	s := Spec{Workload: workload, Namespace: namespace, Logs: logs}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := podSpec[list].([]any)
		for _, raw := range cs {
			c, _ := raw.(map[string]any)
			ct, err := container(c, configs)
			if err != nil {
				return Spec{}, fmt.Errorf("%s: %w", workload, err)
			}
			s.Containers = append(s.Containers, ct)
		}
	}
	if len(s.Containers) == 0 {
		return Spec{}, fmt.Errorf("%s has no containers", workload)
	}
	return s, nil
}

func container(c map[string]any, configs map[string]*imagepin.ImageConfig) (Container, error) {
	n, _ := c["name"].(string)
	img, _ := c["image"].(string)
	if n == "" || img == "" {
		return Container{}, fmt.Errorf("a container without a name or image")
	}
	ic := configs[img]
	if ic == nil {
		return Container{}, fmt.Errorf("container %s: no config of image %s (the process it runs comes from it)", n, img)
	}
	args := processArgs(c, ic)
	for _, a := range args {
		if strings.Contains(a, "$(") {
			return Container{}, fmt.Errorf("container %s: its command uses $(VAR), which the kubelet expands: the policy cannot know the result; write the value out", n)
		}
	}
	ct := Container{Name: n, Images: ImageNames(img), Args: args, Cwd: workingDir(c, ic), ExecProbes: execProbes(c), Mounts: volumeMounts(c)}
	ct.Env, ct.EnvNames, ct.EnvFrom = environment(c, ic)
	ct.Caps, ct.Privileged = capabilities(c)
	return ct, nil
}

// processArgs is what containerd runs (CRI WithProcessArgs): the pod's command and args; without
// a command, the image's entrypoint with the pod's args, or its cmd.
func processArgs(c map[string]any, ic *imagepin.ImageConfig) []string {
	cmd, args := strs(c["command"]), strs(c["args"])
	if len(cmd) > 0 {
		return append(cmd, args...)
	}
	if len(args) > 0 {
		return append(slices.Clone(ic.Entrypoint), args...)
	}
	return append(slices.Clone(ic.Entrypoint), ic.Cmd...)
}

func workingDir(c map[string]any, ic *imagepin.ImageConfig) string {
	if wd, _ := c["workingDir"].(string); wd != "" {
		return wd
	}
	if ic.WorkingDir != "" {
		return ic.WorkingDir
	}
	return "/"
}

// environment is the image's environment and the pod's: literal values exactly, values from
// elsewhere (ConfigMaps, Secrets, the downward API) by name, envFrom as "any but LD_*".
func environment(c map[string]any, ic *imagepin.ImageConfig) (exact, names []string, from bool) {
	exact = append(exact, ic.Env...)
	env, _ := c["env"].([]any)
	for _, raw := range env {
		e, _ := raw.(map[string]any)
		n, _ := e["name"].(string)
		if v, ok := e["value"].(string); ok {
			exact = append(exact, n+"="+v)
		} else if e["valueFrom"] != nil {
			names = append(names, n)
		} else {
			exact = append(exact, n+"=")
		}
	}
	envFrom, _ := c["envFrom"].([]any)
	return exact, names, len(envFrom) > 0
}

// capabilities are the default set with the pod's additions, without its drops.
func capabilities(c map[string]any) ([]string, bool) {
	sc, _ := c["securityContext"].(map[string]any)
	if priv, _ := sc["privileged"].(bool); priv {
		return nil, true
	}
	caps := slices.Clone(DefaultCaps)
	cc, _ := sc["capabilities"].(map[string]any)
	for _, a := range strs(cc["add"]) {
		if a = "CAP_" + strings.TrimPrefix(strings.ToUpper(a), "CAP_"); !slices.Contains(caps, a) {
			caps = append(caps, a)
		}
	}
	for _, d := range strs(cc["drop"]) {
		d = "CAP_" + strings.TrimPrefix(strings.ToUpper(d), "CAP_")
		if d == "CAP_ALL" {
			caps = nil
		}
		caps = slices.DeleteFunc(caps, func(x string) bool { return x == d })
	}
	return caps, false
}

func volumeMounts(c map[string]any) []string {
	out := []string{}
	vms, _ := c["volumeMounts"].([]any)
	for _, raw := range vms {
		if p, _ := raw.(map[string]any)["mountPath"].(string); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// ImageNames are the forms an image reference can reach the agent in: as written in the pod
// spec, and fully qualified (docker.io/library/... for Docker Hub's short names), since the
// runtime may pass either in io.kubernetes.cri.image-name.
func ImageNames(ref string) []string {
	out := []string{ref}
	if r, err := name.ParseReference(ref); err == nil {
		full := strings.Replace(r.Name(), "index.docker.io/", "docker.io/", 1) // containerd's form
		for _, f := range []string{full, r.Name()} {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// execProbes are the commands of a container's exec probes.
func execProbes(c map[string]any) [][]string {
	out := [][]string{}
	for _, p := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		probe, _ := c[p].(map[string]any)
		exec, _ := probe["exec"].(map[string]any)
		if cmd := strs(exec["command"]); len(cmd) > 0 {
			out = append(out, cmd)
		}
	}
	return out
}
