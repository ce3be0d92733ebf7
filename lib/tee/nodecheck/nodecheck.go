// Package nodecheck judges a node's CoCo readiness from its Node object alone: versions,
// resources, labels. No privileges beyond reading nodes; host evidence comes from hostprobe.
package nodecheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
)

// Report is the verdict on one node; its JSON form is part of the documented output schema.
type Report struct {
	Name             string            `json:"name"`
	Architecture     string            `json:"architecture"`
	OSImage          string            `json:"osImage"`
	KernelVersion    string            `json:"kernelVersion"`
	KubeletVersion   string            `json:"kubeletVersion"`
	ContainerRuntime string            `json:"containerRuntime"`
	Allocatable      Resources         `json:"allocatable"`
	InstanceType     string            `json:"instanceType,omitempty"`
	Worker           bool              `json:"worker"`
	KataRuntime      string            `json:"kataRuntime,omitempty"`
	TEELabels        map[string]string `json:"teeLabels,omitempty"`
	TEE              tee.TEEReport     `json:"tee"`
	Checks           []tee.Check       `json:"checks"`
	RuntimeClasses   []string          `json:"runtimeClasses"`
	Ready            bool              `json:"ready"`
	// Confidential is true when the node is ready and a class that runs in a TEE fits it; a
	// ready node without one runs only coco-dev, which protects nothing.
	Confidential bool `json:"confidential"`
	// Host is the host probe's report, with --deep only.
	Host *hostprobe.Report `json:"host,omitempty"`
}

// Resources are a node's allocatable CPU and memory as Kubernetes quantities.
type Resources struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Options tune the verdict.
type Options struct {
	Require tee.Requirement
}

// Evaluate judges a node from its object.
func Evaluate(n *corev1.Node, opts Options) Report {
	info := n.Status.NodeInfo
	r := Report{
		Name: n.Name, Architecture: info.Architecture, OSImage: info.OSImage, KernelVersion: info.KernelVersion,
		KubeletVersion: info.KubeletVersion, ContainerRuntime: info.ContainerRuntimeVersion,
		Allocatable:  Resources{CPU: qty(n.Status.Allocatable, corev1.ResourceCPU), Memory: qty(n.Status.Allocatable, corev1.ResourceMemory)},
		InstanceType: firstLabel(n.Labels, tee.InstanceType, tee.InstanceTypeOld),
		KataRuntime:  n.Labels[tee.KataRuntime],
	}
	_, r.Worker = n.Labels[tee.WorkerLabel]
	r.TEE, r.TEELabels = teeFromLabels(n.Labels, r.InstanceType)
	r.Checks = []tee.Check{
		nodeReady(n), operatingSystem(info.OperatingSystem), tee.ArchCheck(info.Architecture, "status.nodeInfo.architecture"),
		kubernetesVersion(info.KubeletVersion), containerRuntime(info.ContainerRuntimeVersion), worker(n.Name, r.Worker),
		cpu(n), memory(n), kataRuntime(r.KataRuntime),
	}
	if n.Spec.Unschedulable {
		r.Checks = append(r.Checks, tee.Check{ID: "schedulable", Status: tee.Warn, Message: "node is cordoned",
			Evidence: tee.Ev("true", "spec.unschedulable"), Fix: "kubectl uncordon " + n.Name})
	}
	r.finish(opts)
	return r
}

// WithHost merges a host probe's report: the probe's TEE findings replace those from labels,
// and its checks join the node's.
func (r *Report) WithHost(h hostprobe.Report, opts Options) {
	r.Host = &h
	r.TEE = h.TEE
	r.Checks = slices.DeleteFunc(r.Checks, func(c tee.Check) bool { return c.ID == "tee-required" })
	r.finish(opts)
}

func (r *Report) finish(opts Options) {
	if c := tee.RequirementCheck(opts.Require, r.TEE); c != nil {
		r.Checks = append(r.Checks, *c)
	}
	kvm := true // a Node object cannot show /dev/kvm; the host probe can
	if r.Host != nil {
		kvm = slices.ContainsFunc(r.Host.Checks, func(c tee.Check) bool { return c.ID == "kvm" && c.Status == tee.Pass })
	}
	r.RuntimeClasses = tee.RuntimeClassesFor(r.Architecture, r.TEE, kvm)
	r.Ready = tee.Ready(r.Checks) && !essentialUnknown(r.Checks) && (r.Host == nil || r.Host.Ready)
	r.Confidential = r.Ready && len(tee.ConfidentialClasses(r.RuntimeClasses)) > 0
}

// essentialUnknown is true when a fact the verdict rests on was not reported (the kubelet has
// not posted the node's status yet): that node is not called ready on facts nobody saw.
func essentialUnknown(checks []tee.Check) bool {
	for _, c := range checks {
		if c.Status == tee.Unknown && (c.ID == "cpu" || c.ID == "memory" || c.ID == readyCheckID) {
			return true
		}
	}
	return false
}

// AllChecks returns the node's checks followed by the host's (with --deep).
func (r *Report) AllChecks() []tee.Check {
	if r.Host == nil {
		return r.Checks
	}
	return append(slices.Clone(r.Checks), r.Host.Checks...)
}

func qty(l corev1.ResourceList, name corev1.ResourceName) string {
	if q, ok := l[name]; ok {
		return q.String()
	}
	return ""
}

func firstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// labelKinds maps TEE labels with value "true" to kinds: NFD's cpu-security labels, the labels
// of the kata NFD rules used by CoCo runtime classes, and NVIDIA's.
var labelKinds = []struct {
	key  string
	kind tee.Kind
}{
	{tee.NFDPrefix + "cpu-security.sev.snp.enabled", tee.SEVSNP},
	{"amd.feature.node.kubernetes.io/snp", tee.SEVSNP},
	{tee.NFDPrefix + "cpu-security.sev.enabled", tee.SEV},
	{tee.NFDPrefix + "cpu-security.sev.es.enabled", tee.SEVES},
	{tee.NFDPrefix + "cpu-security.tdx.enabled", tee.TDX},
	{"intel.feature.node.kubernetes.io/tdx", tee.TDX},
	{tee.NFDPrefix + "cpu-security.se.enabled", tee.SE},
	{tee.NFDPrefix + "cpu-security.sgx.enabled", tee.SGX},
	{tee.NvidiaCCLabel, tee.NvidiaCC},
}

const (
	gkeConfidential = "cloud.google.com/gke-confidential-nodes-instance-type"
	aksKataCC       = "kubernetes.azure.com/kata-cc-isolation"
	tdxProtected    = tee.NFDPrefix + "cpu-security.tdx.protected"
)

func teeFromLabels(labels map[string]string, instanceType string) (tee.TEEReport, map[string]string) {
	r := tee.TEEReport{Source: "labels", Kinds: []tee.Kind{}}
	seen := map[string]string{}
	add := func(k tee.Kind) {
		if !r.Has(k) {
			r.Kinds = append(r.Kinds, k)
		}
	}
	for _, lk := range labelKinds {
		if v, ok := labels[lk.key]; ok {
			seen[lk.key] = v
			if v == "true" {
				add(lk.kind)
			}
		}
	}
	if v := labels[tdxProtected]; v != "" {
		seen[tdxProtected] = v
		r.ConfidentialGuest = r.ConfidentialGuest || v == "true"
	}
	// GKE confidential nodes are themselves confidential VMs (node-centric), not TEE hosts.
	if v := labels[gkeConfidential]; v != "" {
		seen[gkeConfidential] = v
		r.ConfidentialGuest = true
		switch strings.ToUpper(v) {
		case "SEV":
			add(tee.SEV)
		case "SEV_SNP":
			add(tee.SEVSNP)
		case "TDX":
			add(tee.TDX)
		}
	}
	if v := labels[aksKataCC]; v != "" {
		seen[aksKataCC] = v
		if v == "true" {
			add(tee.SEVSNP) // AKS confidential containers run on AMD SEV-SNP hosts
		}
	}
	if strings.HasPrefix(instanceType, "vm-dedicated-sgx-") {
		seen[tee.InstanceType] = instanceType
		add(tee.SGX)
	}
	sort.Slice(r.Kinds, func(i, j int) bool { return kindOrder(r.Kinds[i]) < kindOrder(r.Kinds[j]) })
	hasNFD := false
	for k := range labels {
		if strings.HasPrefix(k, tee.NFDPrefix) {
			hasNFD = true
			break
		}
	}
	switch {
	case len(r.Kinds) > 0:
		r.Status = tee.Found
	case hasNFD:
		r.Status = tee.None
	default:
		r.Status = tee.Undetected
	}
	if len(seen) == 0 {
		seen = nil
	}
	return r, seen
}

func kindOrder(k tee.Kind) int {
	return slices.Index([]tee.Kind{tee.SEVSNP, tee.SEV, tee.SEVES, tee.TDX, tee.SE, tee.SGX, tee.NvidiaCC}, k)
}

func nodeReady(n *corev1.Node) tee.Check {
	c := tee.Check{ID: readyCheckID}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			c.Evidence = tee.Ev(string(cond.Status), "status.conditions[Ready]")
			if cond.Status == corev1.ConditionTrue {
				c.Status, c.Message = tee.Pass, "node is Ready"
			} else {
				c.Status, c.Message = tee.Fail, fmt.Sprintf("node is not Ready (%s: %s)", cond.Reason, cond.Message)
				c.Fix = "check the kubelet on the node (kubectl describe node " + n.Name + ")"
			}
			return c
		}
	}
	c.Status, c.Message = tee.Unknown, "node has no Ready condition yet"
	return c
}

func operatingSystem(os string) tee.Check {
	c := tee.Check{ID: "operating-system", Evidence: tee.Ev(os, "status.nodeInfo.operatingSystem")}
	if os == "linux" || os == "" {
		c.Status, c.Message = tee.Pass, "linux"
		if os == "" {
			c.Status, c.Message = tee.Unknown, "operating system not reported"
		}
		return c
	}
	c.Status, c.Message, c.Fix = tee.Fail, os+" nodes cannot run CoCo", "use Linux worker nodes"
	return c
}

func kubernetesVersion(v string) tee.Check {
	return tee.KubernetesCheck("kubelet", v, "status.nodeInfo.kubeletVersion")
}

func containerRuntime(v string) tee.Check {
	c := tee.Check{ID: "container-runtime", Evidence: tee.Ev(v, "status.nodeInfo.containerRuntimeVersion")}
	name, ver, hasScheme := strings.Cut(v, "://")
	if !hasScheme {
		name = ""
	}
	switch name {
	case "containerd":
		switch ok, parsed := tee.AtLeast(ver, tee.MinContainerd); {
		case !parsed:
			c.Status, c.Message = tee.Unknown, fmt.Sprintf("containerd version %q not understood", ver)
		case ok:
			c.Status, c.Message = tee.Pass, "containerd "+ver+" >= 1.7"
		default:
			c.Status, c.Message = tee.Fail, "containerd "+ver+" < 1.7"
			c.Fix = "upgrade containerd to 1.7 or later (a newer machine image)"
		}
	case "cri-o":
		c.Status, c.Message = tee.Warn, "CRI-O "+ver+": supported by CoCo, but the current Helm chart is tested on containerd only"
	case "":
		c.Status, c.Message = tee.Unknown, fmt.Sprintf("container runtime %q not understood (expected name://version)", v)
	default:
		c.Status, c.Message = tee.Fail, name+" is not supported by CoCo"
		c.Fix = "use containerd >= 1.7 (or CRI-O)"
	}
	return c
}

func worker(node string, labelled bool) tee.Check {
	c := tee.Check{ID: "worker-label", Evidence: tee.Ev(fmt.Sprint(labelled), "metadata.labels["+tee.WorkerLabel+"]")}
	if labelled {
		c.Status, c.Message = tee.Pass, "labelled "+tee.WorkerLabel
		return c
	}
	c.Status, c.Message = tee.Fail, "not labelled "+tee.WorkerLabel+": CoCo installs its runtime only on worker-labelled nodes"
	c.Fix = "kubectl label node " + node + " " + tee.WorkerLabel + "="
	return c
}

// capacityOr prefers capacity (the machine's size, what CoCo's minimum means) over allocatable.
func capacityOr(n *corev1.Node, name corev1.ResourceName) (resource.Quantity, string, bool) {
	if q, ok := n.Status.Capacity[name]; ok {
		return q, "status.capacity." + string(name), true
	}
	if q, ok := n.Status.Allocatable[name]; ok {
		return q, "status.allocatable." + string(name), true
	}
	return resource.Quantity{}, "", false
}

func cpu(n *corev1.Node) tee.Check {
	q, src, ok := capacityOr(n, corev1.ResourceCPU)
	if !ok {
		return tee.Check{ID: "cpu", Status: tee.Unknown, Message: "CPU capacity not reported"}
	}
	return tee.CPUCheck(q.Value(), q.String(), src)
}

func memory(n *corev1.Node) tee.Check {
	q, src, ok := capacityOr(n, corev1.ResourceMemory)
	if !ok {
		return tee.Check{ID: "memory", Status: tee.Unknown, Message: "memory capacity not reported"}
	}
	return tee.MemoryCheck(q, src)
}

func kataRuntime(v string) tee.Check {
	c := tee.Check{ID: "kata-runtime", Evidence: tee.Ev(v, "metadata.labels["+tee.KataRuntime+"]")}
	switch v {
	case "true":
		c.Status, c.Message = tee.Pass, "the CoCo runtime is installed on this node"
	case "":
		c.Status, c.Message = tee.Skip, "the CoCo runtime is not installed yet"
		c.Evidence = nil
	default:
		c.Status, c.Message = tee.Warn, "the CoCo runtime is in state "+v+" (installing or being removed)"
	}
	return c
}

const readyCheckID = "node-ready"
