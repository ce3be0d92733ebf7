// Package agentpolicy writes, checks and reads the kata agent policies kubectl coco puts into a
// workload's initdata (policy.rego). The kata agent (kata-containers 4.1.0
// src/agent/policy/src/policy.rs allow_request) evaluates data.agent_policy.<Request> for every
// request it receives, the request as input in JSON; the result is true/false or {"allowed",
// "ops"} whose JSON-patch ops update data.pstate, the policy's state. A request whose rule is
// undefined is refused (the agent wants exactly one result).
//
// The policies here are written by us: what a pod needs is allowed, the host entering the
// workload is not. Their rules follow the semantics of genpolicy's rules.rego at 4.1.0 where
// they decide the same things (probes, copied files, interfaces, routes, ARP neighbours), and
// the tests hold them to genpolicy's own test cases (src/tools/genpolicy/tests/policy/testdata).
package agentpolicy

// Requests are the request names kata 4.1's agent asks its policy about: the request types of
// the AgentService (src/libs/protocols/protos/agent.proto; the read streams share
// ReadStreamRequest, stdin is WriteStreamRequest) and the older ones allow-all.rego still names
// (src/kata-opa/allow-all.rego: PullImageRequest, StartTracingRequest, StopTracingRequest).
var Requests = []string{
	"AddARPNeighborsRequest", "AddSwapPathRequest", "AddSwapRequest", "CloseStdinRequest", "CopyFileRequest",
	"CreateContainerRequest", "CreateSandboxRequest", "DestroySandboxRequest", "ExecProcessRequest",
	"GetDiagnosticDataRequest", "GetIPTablesRequest", "GetMetricsRequest", "GetOOMEventRequest", "GuestDetailsRequest",
	"ListInterfacesRequest", "ListRoutesRequest", "MemAgentCompactConfig", "MemAgentMemcgConfig", "MemHotplugByProbeRequest",
	"OnlineCPUMemRequest", "PauseContainerRequest", "PullImageRequest", "ReadStreamRequest", "RemoveContainerRequest",
	"RemoveStaleVirtiofsShareMountsRequest", "ReseedRandomDevRequest", "ResizeVolumeRequest", "ResumeContainerRequest",
	"SetGuestDateTimeRequest", "SetIPTablesRequest", "SetPolicyRequest", "SignalProcessRequest", "StartContainerRequest",
	"StartTracingRequest", "StatsContainerRequest", "StopTracingRequest", "TtyWinResizeRequest", "UpdateContainerRequest",
	"UpdateEphemeralMountsRequest", "UpdateInterfaceRequest", "UpdateRoutesRequest", "VolumeStatsRequest", "WaitProcessRequest",
	"WriteStreamRequest",
}

// PodNeeds are the requests a pod cannot start, run or stop without: a policy that leaves one
// undefined or false breaks every pod.
var PodNeeds = []string{"CreateSandboxRequest", "CreateContainerRequest", "StartContainerRequest", "WaitProcessRequest",
	"SignalProcessRequest", "RemoveContainerRequest", "DestroySandboxRequest", "UpdateInterfaceRequest", "UpdateRoutesRequest"}

// Entry are the requests by which the host can enter a running workload or change what guards it.
var Entry = map[string]string{
	"ExecProcessRequest": "run a command in a container (kubectl exec)",
	"WriteStreamRequest": "write to a process's stdin (kubectl attach/exec -i)",
	"CopyFileRequest":    "copy files into the guest",
	"SetPolicyRequest":   "replace this policy",
	"ReadStreamRequest":  "read the containers' output (kubectl logs)",
}

// allowedByDefault are the requests the restricted policy allows without looking at them, as
// genpolicy's rules.rego sets their defaults at 4.1.0 (true there); every other request is
// denied unless a rule below allows it.
var allowedByDefault = []string{
	"DestroySandboxRequest", "GetOOMEventRequest", "GuestDetailsRequest", "OnlineCPUMemRequest", "RemoveStaleVirtiofsShareMountsRequest",
	"SignalProcessRequest", "StartContainerRequest", "StatsContainerRequest", "TtyWinResizeRequest", "WaitProcessRequest",
}
