package trustee

// The one-line help of the trustee commands that coco-helm runs (cmdutil.Helper): listed by
// "kubectl coco trustee --help" here, and the real commands' Short there.
const (
	InstallShort   = "Install Trustee (KBS, attestation service, RVPS) with its Helm chart, keeping the admin key on this machine"
	StatusShort    = "Whether Trustee is installed (chart, or the legacy trustee-operator's KbsConfig), ready, and at which URL"
	UninstallShort = "Remove Trustee's release, kubectl coco's key Secret and the namespace it made (the admin key file stays)"
)
