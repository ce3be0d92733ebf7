package agentpolicy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
)

// The restricted policy evaluated with OPA on agent requests shaped as kata 4.1's agent sends
// them, modelled on genpolicy's test cases at kata-containers 4.1.0
// (src/tools/genpolicy/tests/policy/testdata/<case>/testcases.json): where genpolicy decides
// the same question, the verdict here is genpolicy's.

const image = "ghcr.io/example/web@sha256:bdbb485bb9e3baf381a2957b9369b6051c6113097a5f8dcee27faff17624a2c0"

// pod is testdata/state/execprocess's pod.yaml (two busybox containers running sleep 3600 with
// exec probes) over an image config like busybox's.
const pod = `{"containers": [
  {"name": "first-test-container", "image": "` + image + `", "env": [{"name": "CONTAINER_NAME", "value": "first-test-container"}],
   "command": ["sleep", "3600"], "livenessProbe": {"exec": {"command": ["test1"]}}},
  {"name": "second-test-container", "image": "` + image + `", "env": [{"name": "CONTAINER_NAME", "value": "second-test-container"}],
   "command": ["sleep", "3600"], "livenessProbe": {"exec": {"command": ["test2"]}},
   "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}`

var busybox = &imagepin.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}

func spec(logs bool) Spec {
	var podSpec map[string]any
	if err := json.Unmarshal([]byte(pod), &podSpec); err != nil {
		panic(err)
	}
	s, err := SpecFromPod("Pod default/busybox", "default", podSpec, logs, map[string]*imagepin.ImageConfig{image: busybox})
	if err != nil {
		panic(err)
	}
	return s
}

// createContainer is a CreateContainerRequest as in testdata/state/execprocess and
// createcontainer/gid: the CRI annotations, the process, the mounts every container gets, an
// image_guest_pull storage whose metadata names the image.
func createContainer(id, name, img, ns string) map[string]any {
	annotations := map[string]any{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": name, "io.kubernetes.cri.image-name": img,
		"io.kubernetes.cri.sandbox-name": "busybox", "io.kubernetes.cri.sandbox-namespace": ns, "io.katacontainers.pkg.oci.container_type": "pod_container"}
	meta, _ := json.Marshal(map[string]any{"metadata": annotations})
	var mounts []any
	for _, m := range [][3]string{{"/proc", "proc", "proc"}, {"/dev", "tmpfs", "tmpfs"}, {"/dev/pts", "devpts", "devpts"}, {"/dev/mqueue", "mqueue", "mqueue"},
		{"/sys", "sysfs", "sysfs"}, {"/sys/fs/cgroup", "cgroup", "cgroup"}, {"/dev/shm", "/run/kata-containers/sandbox/shm", "bind"},
		{"/etc/hosts", "/run/kata-containers/shared/containers/" + id + "-c7c1c6e5b8f7d0a1-hosts", "bind"},
		{"/var/run/secrets/kubernetes.io/serviceaccount", "/run/kata-containers/shared/containers/" + id + "-be44d3a46e427870-serviceaccount", "bind"}} {
		mounts = append(mounts, map[string]any{"destination": m[0], "source": m[1], "type_": m[2], "options": []any{}})
	}
	return map[string]any{"container_id": id, "exec_id": id, "shared_mounts": []any{}, "string_user": nil, "devices": []any{}, "sandbox_pidns": false,
		"OCI": map[string]any{"Annotations": annotations, "Hooks": nil, "Root": map[string]any{"Path": "/run/kata-containers/" + id + "/rootfs", "Readonly": false},
			"Mounts": mounts, "Process": map[string]any{"Args": []string{"sleep", "3600"}, "Cwd": "/", "Terminal": false,
				"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=busybox", "CONTAINER_NAME=" + name,
					"KUBERNETES_SERVICE_HOST=10.0.0.1", "KUBERNETES_PORT_443_TCP=tcp://10.0.0.1:443"},
				"Capabilities": map[string]any{"Bounding": DefaultCaps, "Effective": DefaultCaps, "Permitted": DefaultCaps, "Inheritable": []any{}, "Ambient": []any{}}}},
		"storages": []any{map[string]any{"driver": "image_guest_pull", "source": img, "fstype": "overlay", "mount_point": "/run/kata-containers/" + id + "/rootfs",
			"driver_options": []any{"image_guest_pull=" + string(meta)}}}}
}

// execProcess is an ExecProcessRequest as in testdata/state/execprocess.
func execProcess(id string, args []string, mod func(p map[string]any)) map[string]any {
	p := map[string]any{"Args": args, "Capabilities": nil, "ConsoleSize": nil, "Cwd": "/", "Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=busybox-cc"},
		"NoNewPrivileges": false, "OOMScoreAdj": 0, "Rlimits": []any{}, "SelinuxLabel": "", "Terminal": false,
		"User": map[string]any{"AdditionalGids": []int{0, 10}, "GID": 0, "UID": 0, "Username": ""}}
	if mod != nil {
		mod(p)
	}
	return map[string]any{"container_id": id, "exec_id": "05e07bbb-d06c-402d-b9b7-e6386935b200", "process": p, "string_user": nil}
}

// agent keeps data.pstate as the kata agent does: it applies an allowed result's ops.
type agent struct {
	t      *testing.T
	policy string
	state  map[string]any
}

func (a *agent) ask(request string, input any) bool {
	a.t.Helper()
	d, err := Decide(context.Background(), a.policy, request, input, a.state)
	if err != nil {
		a.t.Fatalf("%s: %v", request, err)
	}
	if d.Allowed {
		for _, op := range d.Ops {
			key := strings.TrimPrefix(op["path"].(string), "/pstate/")
			switch op["op"] {
			case "add":
				a.state[key] = op["value"]
			case "remove":
				delete(a.state, key)
			}
		}
	}
	return d.Allowed
}

func TestRestrictedStateAndExec(t *testing.T) {
	p, err := Restricted(spec(true))
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{t: t, policy: p, state: map[string]any{}}
	first, second := "88941c1e6546ae2aef276f738b162fc379e61467120544e13e5ca5bd204862b9", "22941c1e6546ae2aef276f738b162fc379e61467120544e13e5ca5bd204862b9"
	steps := []struct {
		desc    string
		request string
		input   any
		want    bool
	}{
		// testdata/state/execprocess, in its order.
		{"create container request for first container", "CreateContainerRequest", createContainer(first, "first-test-container", image, "default"), true},
		{"create container request for second container", "CreateContainerRequest", createContainer(second, "second-test-container", image, "default"), true},
		{"exec process in first container with correct args", "ExecProcessRequest", execProcess(first, []string{"test1"}, nil), true},
		{"with incorrect args", "ExecProcessRequest", execProcess(first, []string{"foo"}, nil), false},
		{"with Terminal=true", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) { p["Terminal"] = true }), false},
		{"with non-empty capabilities", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) {
			p["Capabilities"] = map[string]any{"Bounding": []string{"CAP_CHOWN"}}
		}), false},
		{"with multi-arg command", "ExecProcessRequest", execProcess(first, []string{"test1", "--flag"}, nil), false},
		{"with different Cwd", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) { p["Cwd"] = "/tmp" }), false},
		{"with additional environment variables", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) {
			p["Env"] = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=busybox-cc", "TERM=xterm", "PROBE_TYPE=liveness"}
		}), false},
		{"with LD_PRELOAD", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) {
			p["Env"] = []string{"LD_PRELOAD=/run/kata-containers/shared/containers/x/evil.so"}
		}), false},
		{"with non-null selinuxLabel", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) { p["SelinuxLabel"] = "system_u:system_r:container_t" }), false},
		{"with random ApparmorProfile", "ExecProcessRequest", execProcess(first, []string{"test1"}, func(p map[string]any) { p["ApparmorProfile"] = "localhost/root-user" }), false},
		{"in second container with first container args", "ExecProcessRequest", execProcess(second, []string{"test1"}, nil), false},
		{"exec process with invalid container_id", "ExecProcessRequest", execProcess("1070be4405d02db09ddaa02b73c0670f5fe5511d5efb45608da2366074dc4e08", []string{"bar"}, nil), false},
		{"a shell in the first container", "ExecProcessRequest", execProcess(first, []string{"sh"}, nil), false},
		{"remove first container", "RemoveContainerRequest", map[string]any{"container_id": first, "timeout": 0}, true},
		{"exec process fail for first container", "ExecProcessRequest", execProcess(first, []string{"test1"}, nil), false},
		{"remove a container never created", "RemoveContainerRequest", map[string]any{"container_id": "unknown", "timeout": 0}, true},
	}
	if len(a.state) != 0 {
		t.Fatal("state before the first request")
	}
	for _, s := range steps {
		if got := a.ask(s.request, s.input); got != s.want {
			t.Errorf("%s: %v, want %v (state %v)", s.desc, got, s.want, a.state)
		}
	}
	if _, ok := a.state[first]; ok || a.state[second] != "second-test-container" {
		t.Fatalf("state %v", a.state)
	}
}

func TestRestrictedCreateContainer(t *testing.T) {
	p, _ := Restricted(spec(true))
	other := "ghcr.io/evil/shell@sha256:" + strings.Repeat("0", 64)
	edit := func(name string, mod func(r map[string]any)) map[string]any {
		r := createContainer("c", name, image, "default")
		mod(r)
		return r
	}
	oci := func(r map[string]any) map[string]any { return r["OCI"].(map[string]any) }
	process := func(r map[string]any) map[string]any { return oci(r)["Process"].(map[string]any) }
	pause := func(mod func(r map[string]any)) map[string]any {
		r := createContainer("pause", "", "registry.k8s.io/pause:3.10", "default")
		ann := oci(r)["Annotations"].(map[string]any)
		ann["io.kubernetes.cri.container-type"] = "sandbox"
		meta, _ := json.Marshal(map[string]any{"metadata": ann})
		r["storages"].([]any)[0].(map[string]any)["driver_options"] = []any{"image_guest_pull=" + string(meta)}
		process(r)["Args"] = []string{"/pause"}
		oci(r)["Mounts"] = []any{}
		if mod != nil {
			mod(r)
		}
		return r
	}
	for desc, tc := range map[string]struct {
		input any
		want  bool
	}{
		"the pinned image": {createContainer("c", "first-test-container", image, "default"), true},
		"the second, with its volume": {edit("second-test-container", func(r map[string]any) {
			process(r)["Env"] = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINER_NAME=second-test-container"}
			oci(r)["Mounts"] = append(oci(r)["Mounts"].([]any), map[string]any{"destination": "/data", "source": "/run/kata-containers/sandbox/storage/MDAvMDA=", "type_": "bind"})
		}), true},
		"the pause container":              {pause(nil), true},
		"another image":                    {createContainer("c", "first-test-container", other, "default"), false},
		"the image by tag":                 {createContainer("c", "first-test-container", "ghcr.io/example/web:latest", "default"), false},
		"a container the workload has not": {createContainer("c", "debug", image, "default"), false},
		"another namespace":                {createContainer("c", "first-test-container", image, "kube-system"), false},
		"a string user (createcontainer)":  {edit("first-test-container", func(r map[string]any) { r["string_user"] = map[string]any{"uid": "0"} }), false},
		"shared mounts":                    {edit("first-test-container", func(r map[string]any) { r["shared_mounts"] = []any{map[string]any{"name": "x"}} }), false},
		"a guest-pull storage of another image": {edit("first-test-container", func(r map[string]any) {
			r["storages"].([]any)[0].(map[string]any)["source"] = other
		}), false},
		// What the reviewer of genpolicy's rules holds too: the process, hooks, root, mounts, capabilities.
		"another command":   {edit("first-test-container", func(r map[string]any) { process(r)["Args"] = []string{"sh", "-c", "cat /proc/1/environ"} }), false},
		"another directory": {edit("first-test-container", func(r map[string]any) { process(r)["Cwd"] = "/tmp" }), false},
		"LD_PRELOAD":        {edit("first-test-container", func(r map[string]any) { process(r)["Env"] = []string{"LD_PRELOAD=/x.so"} }), false},
		"an OCI hook": {edit("first-test-container", func(r map[string]any) {
			oci(r)["Hooks"] = map[string]any{"Prestart": []any{map[string]any{"Path": "/bin/sh"}}}
		}), false},
		"another root": {edit("first-test-container", func(r map[string]any) {
			oci(r)["Root"] = map[string]any{"Path": "/run/kata-containers/shared/containers/c/rootfs"}
		}), false},
		"a mount of another root": {edit("first-test-container", func(r map[string]any) {
			oci(r)["Mounts"] = append(oci(r)["Mounts"].([]any), map[string]any{"destination": "/etc/hosts", "source": "/run/kata-containers/other/rootfs", "type_": "bind"})
		}), false},
		"a mount the pod has not": {edit("first-test-container", func(r map[string]any) {
			oci(r)["Mounts"] = append(oci(r)["Mounts"].([]any), map[string]any{"destination": "/data", "source": "/run/kata-containers/sandbox/storage/x", "type_": "bind"})
		}), false},
		"CAP_SYS_ADMIN": {edit("first-test-container", func(r map[string]any) {
			process(r)["Capabilities"].(map[string]any)["Bounding"] = append(slices.Clone(DefaultCaps), "CAP_SYS_ADMIN")
		}), false},
		"no guest-pull storage (a host-made root file system)": {edit("first-test-container", func(r map[string]any) {
			r["storages"] = []any{map[string]any{"driver": "virtio-fs", "source": "rootfs", "mount_point": "/run/kata-containers/c/rootfs"}}
		}), false},
		"a guest-pull storage that says sandbox": {edit("first-test-container", func(r map[string]any) {
			st := r["storages"].([]any)[0].(map[string]any)
			st["driver_options"] = []any{strings.Replace(st["driver_options"].([]any)[0].(string), `cri.container-type":"container"`, `cri.container-type":"sandbox"`, 1)}
		}), false},
		"a sandbox running a shell":       {pause(func(r map[string]any) { process(r)["Args"] = []string{"/bin/sh"} }), false},
		"a sandbox pulling another image": {pause(func(r map[string]any) { r["storages"].([]any)[0].(map[string]any)["source"] = other }), false},
		"a sandbox with a volume": {pause(func(r map[string]any) {
			oci(r)["Mounts"] = []any{map[string]any{"destination": "/data", "source": "/x", "type_": "bind"}}
		}), false},
	} {
		a := &agent{t: t, policy: p, state: map[string]any{}}
		if got := a.ask("CreateContainerRequest", tc.input); got != tc.want {
			t.Errorf("%s: %v, want %v", desc, got, tc.want)
		}
	}
}

// testdata/copyfile, createsandbox, updateinterface, updateroutes, addarpneighbors: every case
// with genpolicy's verdict.
func TestRestrictedAgreesWithGenpolicyCases(t *testing.T) {
	p, _ := Restricted(spec(true))
	dir := "/run/kata-containers/shared/containers/81e5f43bc8599c5661e66f959ac28df5bfb30da23c5d583f2dcc6f9e0c5186dc"
	copyFile := func(kind, path, target string) map[string]any {
		m := map[string]any{"file_type": kind, "path": path}
		if target != "" {
			m["symlink_target"] = target
		}
		return m
	}
	iface := func(name, hw string, flags int) map[string]any {
		return map[string]any{"interface": map[string]any{"name": name, "device": "eth0", "hwAddr": hw, "mtu": 1500, "raw_flags": flags, "IPAddresses": []any{}}}
	}
	routes := func(rs ...[2]string) map[string]any {
		var out []any
		for _, r := range rs {
			out = append(out, map[string]any{"dest": "", "device": r[0], "family": 0, "gateway": "10.244.0.1", "scope": 0, "source": r[1]})
		}
		return map[string]any{"routes": map[string]any{"Routes": out}}
	}
	arp := func(dev, ip string, state, flags int) map[string]any {
		return map[string]any{"neighbors": map[string]any{"ARPNeighbors": []any{map[string]any{"device": dev, "flags": flags, "lladdr": "00:00:5e:00:53:01",
			"state": state, "toIPAddress": map[string]any{"address": ip, "family": 0, "mask": ""}}}}}
	}
	for _, tc := range []struct {
		desc, request string
		input         any
		want          bool
	}{
		{"copy initiated by k8s mount", "CopyFileRequest", copyFile("Regular", dir+"-ce23cfeb91e75aaa-resolv.conf", ""), true},
		{"a dirname can have trailing dots", "CopyFileRequest", copyFile("Regular", dir+"-ce23cfeb91e75aaa-foo../bar", ""), true},
		{"attempt to copy outside of container root", "CopyFileRequest", copyFile("Regular", "/etc/ssl/cert.pem", ""), false},
		{"attempt to write into container root", "CopyFileRequest", copyFile("Regular", dir+"/rootfs/bin/sh", ""), false},
		{"attempt to write into container root - guest pull", "CopyFileRequest", copyFile("Regular", "/run/kata-containers/81e5f43bc8599c5661e66f959ac28df5bfb30da23c5d583f2dcc6f9e0c5186dc/rootfs/bin/sh", ""), false},
		{"attempted directory traversal", "CopyFileRequest", copyFile("Regular", dir+"-ce23cfeb91e75aaa-foo/../../../../../etc/ssl/cert.pem", ""), false},
		{"attempted directory traversal - parent directory", "CopyFileRequest", copyFile("Directory", dir+"-ce23cfeb91e75aaa-foo/..", ""), false},
		{"relative path", "CopyFileRequest", copyFile("Regular", "etc/ssl/cert.pem", ""), false},
		{"relative path - parent directory", "CopyFileRequest", copyFile("Directory", "..", ""), false},
		{"unsupported file type", "CopyFileRequest", copyFile("Unknown", dir+"-ce23cfeb91e75aaa-foo/bar", ""), false},
		{"directory in top-level shared directory", "CopyFileRequest", copyFile("Directory", dir+"-ce23cfeb91e75aaa-foo", ""), true},
		{"symlink in top-level shared directory", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo", "abc"), false},
		{"symlink beneath top-level shared directory", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", "abc"), true},
		{"symlink pointing up - leading", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", "../abc"), false},
		{"symlink pointing up - middle", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", "a/../../b"), false},
		{"symlink pointing up - trailing", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", "foo/.."), false},
		{"symlink pointing up - ..", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", ".."), false},
		{"symlink with absolute target", "CopyFileRequest", copyFile("Symlink", dir+"-ce23cfeb91e75aaa-foo/lnk", "/abc"), false},
		{"no pidns", "CreateSandboxRequest", map[string]any{"sandbox_pidns": false}, true},
		{"pidns", "CreateSandboxRequest", map[string]any{"sandbox_pidns": true}, false},
		{"kernel modules", "CreateSandboxRequest", map[string]any{"kernel_modules": []any{map[string]any{"name": "evil.ko"}}, "sandbox_pidns": false}, false},
		{"guest hooks", "CreateSandboxRequest", map[string]any{"guest_hook_path": "/attacker/controlled/path", "sandbox_pidns": false}, false},
		{"no flags", "UpdateInterfaceRequest", iface("eth0", "66:74:9f:6a:96:01", 0), true},
		{"allowed arp flag", "UpdateInterfaceRequest", iface("eth0", "66:74:9f:6a:96:01", 128), true},
		{"forbidden flag", "UpdateInterfaceRequest", iface("eth0", "66:74:9f:6a:96:01", 64), false},
		{"forbidden name", "UpdateInterfaceRequest", iface("lo", "66:74:9f:6a:96:01", 0), false},
		{"forbidden hwAddr", "UpdateInterfaceRequest", iface("eth0", "00:00:00:00:00:00", 0), false},
		{"compliant routes", "UpdateRoutesRequest", routes([2]string{"eth0", ""}), true},
		{"forbidden device", "UpdateRoutesRequest", routes([2]string{"lo", ""}), false},
		{"one compliant route, one noncompliant", "UpdateRoutesRequest", routes([2]string{"eth0", ""}, [2]string{"eth0", "::1"}), false},
		{"noncompliant routes", "UpdateRoutesRequest", routes([2]string{"eth0", "127.0.0.1"}), false},
		{"noncompliant routes ipv6 1", "UpdateRoutesRequest", routes([2]string{"eth0", "::1"}), false},
		{"noncompliant routes ipv6 2", "UpdateRoutesRequest", routes([2]string{"eth0", "00::001"}), false},
		{"compliant neighbors", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 128, 0), true},
		{"allowed state: reachable", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 2, 0), true},
		{"allowed flags: NTF_PROXY", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 128, 8), true},
		{"allowed flags: NTF_ROUTER", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 128, 128), true},
		{"bad interface", "AddARPNeighborsRequest", arp("lo", "10.0.0.1", 128, 0), false},
		{"bad IP", "AddARPNeighborsRequest", arp("eth0", "127.1.2.3", 128, 0), false},
		{"bad state", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 0, 0), false},
		{"bad flags", "AddARPNeighborsRequest", arp("eth0", "10.0.0.1", 128, 5), false},
	} {
		a := &agent{t: t, policy: p, state: map[string]any{}}
		if got := a.ask(tc.request, tc.input); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.request, tc.desc, got, tc.want)
		}
	}
}

// What a pod needs is allowed; what lets the host in is not; every request has a rule.
func TestRestrictedShutsTheHostOut(t *testing.T) {
	for _, logs := range []bool{true, false} {
		p, err := Restricted(spec(logs))
		if err != nil {
			t.Fatal(err)
		}
		if undefined, err := Check(p); err != nil || len(undefined) != 0 {
			t.Fatalf("check: %v %v", undefined, err)
		}
		a := &agent{t: t, policy: p, state: map[string]any{}}
		for _, r := range []string{"StartContainerRequest", "WaitProcessRequest", "SignalProcessRequest", "DestroySandboxRequest", "StatsContainerRequest", "GuestDetailsRequest"} {
			if !a.ask(r, map[string]any{"container_id": "c"}) {
				t.Errorf("%s is refused", r)
			}
		}
		for _, r := range []string{"WriteStreamRequest", "CloseStdinRequest", "SetPolicyRequest", "PauseContainerRequest", "UpdateContainerRequest", "AddSwapRequest", "SetIPTablesRequest"} {
			if a.ask(r, map[string]any{"container_id": "c"}) {
				t.Errorf("%s is allowed", r)
			}
		}
		e, err := Evaluate(context.Background(), p)
		if err != nil || !e.ShutsHostOut() || e.Logs != logs {
			t.Fatalf("logs %v: effects %+v %v", logs, e, err)
		}
		if KindOf(p) != KindRestricted {
			t.Fatal(KindOf(p))
		}
	}
	if _, err := Restricted(Spec{Workload: "x"}); err == nil {
		t.Fatal("a workload without containers")
	}
	// The process comes from the image's config: without it, no restricted policy.
	var podSpec map[string]any
	_ = json.Unmarshal([]byte(pod), &podSpec)
	if _, err := SpecFromPod("w", "default", podSpec, true, nil); err == nil || !strings.Contains(err.Error(), "no config of image") {
		t.Fatalf("without the image config: %v", err)
	}
}

func TestAllowAllAndUserPolicies(t *testing.T) {
	e, err := Evaluate(context.Background(), AllowAll())
	if err != nil || e.ShutsHostOut() || !e.Exec || !e.Stdin || !e.SetPolicy || !e.CopyFiles || KindOf(AllowAll()) != KindAllowAll {
		t.Fatalf("allow-all: %+v %v", e, err)
	}
	if undefined, err := Check(AllowAll()); err != nil || len(undefined) != 0 {
		t.Fatalf("allow-all check: %v %v", undefined, err)
	}
	// A policy of the user's that denies only exec, as kata's allow-all-except-exec-process.rego does.
	noExec := strings.Replace(AllowAll(), "default ExecProcessRequest := true", "default ExecProcessRequest := false", 1)
	noExec = strings.Replace(noExec, Marker+"allow-all\n", "# mine\n", 1)
	e, err = Evaluate(context.Background(), noExec)
	if err != nil || e.Exec || !e.Stdin || KindOf(noExec) != KindFile {
		t.Fatalf("except exec: %+v %v %s", e, err, KindOf(noExec))
	}
	for _, tc := range []struct{ policy, want string }{
		{"package agent_policy\nallow {", "does not parse as Rego"},
		{"package policy\ndefault allow := true\n", "package is policy"},
		{"package agent_policy\ndefault ExecProcessRequest := false\n", "no rule for CreateContainerRequest, CreateSandboxRequest"},
		// Rego v0 syntax (no "if") does not parse as the agent's regorus reads it.
		{"package agent_policy\nCreateContainerRequest { true }\n", "does not parse"},
	} {
		if _, err := Check(tc.policy); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v", tc.policy, err)
		}
	}
	partial := "package agent_policy\n"
	for _, r := range PodNeeds {
		partial += "default " + r + " := true\n"
	}
	if undefined, err := Check(partial); err != nil || len(undefined) != len(Requests)-len(PodNeeds) {
		t.Fatalf("partial: %d %v", len(undefined), err)
	}
	if KindOf("") != KindNone {
		t.Fatal("empty")
	}
}
