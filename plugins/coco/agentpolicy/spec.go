package agentpolicy

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

// SpecFromPod is the restricted policy's view of a pod spec (as unstructured JSON): every init
// and app container with its image and its exec probes. Ephemeral containers (kubectl debug)
// are left out on purpose: the policy refuses them.
func SpecFromPod(workload, namespace string, podSpec map[string]any, logs bool) (Spec, error) {
	s := Spec{Workload: workload, Namespace: namespace, Logs: logs}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := podSpec[list].([]any)
		for _, raw := range cs {
			c, _ := raw.(map[string]any)
			n, _ := c["name"].(string)
			img, _ := c["image"].(string)
			if n == "" || img == "" {
				return Spec{}, fmt.Errorf("%s: a container without a name or image", workload)
			}
			s.Containers = append(s.Containers, Container{Name: n, Images: ImageNames(img), ExecProbes: execProbes(c)})
		}
	}
	if len(s.Containers) == 0 {
		return Spec{}, fmt.Errorf("%s has no containers", workload)
	}
	return s, nil
}

// ImageNames are the forms an image reference can reach the agent in: as written in the pod
// spec, and fully qualified (docker.io/library/... for Docker Hub's short names), since the
// runtime may pass either in io.kubernetes.cri.image-name.
func ImageNames(ref string) []string {
	out := []string{ref}
	if r, err := name.ParseReference(ref); err == nil && r.Name() != ref {
		out = append(out, r.Name())
	}
	return out
}

// execProbes are the commands of a container's exec probes.
func execProbes(c map[string]any) [][]string {
	out := [][]string{}
	for _, p := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		probe, _ := c[p].(map[string]any)
		exec, _ := probe["exec"].(map[string]any)
		cmd, _ := exec["command"].([]any)
		if len(cmd) == 0 {
			continue
		}
		var args []string
		for _, a := range cmd {
			s, _ := a.(string)
			args = append(args, s)
		}
		out = append(out, args)
	}
	return out
}
