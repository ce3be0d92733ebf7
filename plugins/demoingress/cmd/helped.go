package cmd

// Helper is the binary beside kubectl-demoingress that runs the commands needing the Helm SDK
// (every one that reads or changes the controllers' releases), so that deploy, verify, version
// and --help start without Helm's package initialisation (lib/cli.Helped).
const Helper = "demoingress-helm"

// The one-line help of the commands that Helper runs: listed by "kubectl demoingress --help"
// here, and the real commands' Short there.
const (
	InstallShort = "Install an ingress controller (Traefik by default) with Helm and wait until its Service has an external address"
	AuditShort   = "Judge every Ingress for a move off ingress-nginx: what Traefik serves as-is, what the Gateway API can take, what neither can"
	MigrateShort = "Move a running ingress-nginx to Traefik, keeping its floating IP, and check every Ingress on the way"
	StatusShort  = "Show the ingress controller, its address, the demo resources and the last verification"
	DeleteShort  = "Remove the demo resources (and with --controller the ingress controller's release and namespace)"
)
