package cmd

// The one-line help of the commands that coco-helm runs (cmdutil.Helper): listed by "kubectl
// coco --help" here, and the real commands' Short there.
const (
	InstallShort   = "Install Confidential Containers (Helm chart) and wait until the nodes run it"
	StatusShort    = "What CoCo release is installed, on which nodes, and what is wrong"
	UninstallShort = "Remove CoCo: the Helm release, its runtime classes and its namespace"
	AttestShort    = "Check the path from a confidential guest to its secrets"
)
