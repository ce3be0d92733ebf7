package trustee

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

func NewTrusteeCommand(g *cli.Globals) *cobra.Command {
	a := &KBSAccess{g: g, Timeout: 30 * time.Second}
	cmd := &cobra.Command{
		Use:   "trustee",
		Short: "Trustee's Key Broker Service: resources, policies and reference values, as its administrator",
		Long: `Administers a Trustee KBS (v0.21 admin API) from kubectl: the secrets guests receive after
attestation (resources), the resource and attestation policies, and sample reference values.

Each command signs a short-lived admin token with the administrator's Ed25519 private key
(--admin-key; default: kubectl coco's own under your config directory), in the form Trustee's
Helm chart configures (issuer TrusteeInHelm, role admin), or sends --admin-token-file as it is.`,
	}
	policy, rv := newTrusteePolicyCommand(a), newTrusteeReferenceValueCommand(a)
	for _, c := range []*cobra.Command{policy, rv} {
		a.addFlags(c) // the KBS flags belong to the admin API commands, not to install/status
	}
	cmd.AddCommand(newTrusteeResourceCommand(a), policy, rv)
	cmd.AddCommand(cli.Helped(cmdutil.Helper, "install", InstallShort), cli.Helped(cmdutil.Helper, "status", StatusShort), cli.Helped(cmdutil.Helper, "uninstall", UninstallShort))
	return cmd
}

// KBSAccess is how the trustee commands reach the KBS as its administrator.
type KBSAccess struct {
	g          *cli.Globals
	URL        string
	AdminKey   string
	TokenFile  string
	CACert     string
	Timeout    time.Duration
	client     *kbs.Client // built by connect unless a test set it
	defaultKey bool
}

// NewKBSAccess is the access of a command whose KBS calls each take at most timeout.
func NewKBSAccess(g *cli.Globals, timeout time.Duration) KBSAccess {
	return KBSAccess{g: g, Timeout: timeout}
}

// Client is the admin API client Connect built.
func (a *KBSAccess) Client() *kbs.Client { return a.client }

func (a *KBSAccess) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&a.URL, "kbs-url", "", "the KBS's URL as this machine reaches it (e.g. after kubectl port-forward: http://127.0.0.1:8080)")
	f.StringVar(&a.AdminKey, "admin-key", "", "the administrator's Ed25519 private key (PEM) (default: kubectl coco's own)")
	f.StringVar(&a.TokenFile, "admin-token-file", "", "send this admin token instead of signing one (e.g. the chart's KBS_ADMIN_TOKEN)")
	f.StringVar(&a.CACert, "kbs-cert", "", "PEM certificate (or CA) to trust for an https KBS (default: the CA kubectl coco trustee install made)")
	f.DurationVar(&a.Timeout, "timeout", a.Timeout, "how long each call to the KBS may take")
}

// DefaultAdminKeyPath is where trustee install keeps the administrator's key.
func DefaultAdminKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "kubectl-coco", "trustee-admin.key"), nil
}

// Connect checks the flags and builds the client (no network yet).
func (a *KBSAccess) Connect() error {
	if a.client != nil {
		return nil
	}
	if a.URL == "" {
		return clierr.Usagef("e.g. --kbs-url http://127.0.0.1:8080 (kubectl port-forward -n trustee svc/trustee-kbs 8080)", "--kbs-url is required")
	}
	if err := initdata.CheckKBSURL(a.URL); err != nil {
		return clierr.Usagef("give scheme, host and port, e.g. http://127.0.0.1:8080", "--kbs-url: %v", err)
	}
	if err := cli.CheckTimeout(a.Timeout, "30s"); err != nil {
		return err
	}
	hc, err := a.HTTPClient()
	if err != nil {
		return err
	}
	token, err := a.tokenSource()
	if err != nil {
		return err
	}
	a.client = &kbs.Client{URL: a.URL, HTTP: hc, Token: token}
	return nil
}

// HTTPClient is the client for the KBS at URL: its --kbs-cert (or the CA trustee install made) trusted for https.
func (a *KBSAccess) HTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if a.CACert == "" && strings.HasPrefix(a.URL, "https://") {
		a.CACert = DefaultKBSCert() // the CA trustee install made, when there is one
	}
	if a.CACert != "" {
		pemData, err := os.ReadFile(a.CACert)
		if err != nil {
			return nil, clierr.Usagef("give the KBS's PEM certificate", "--kbs-cert: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, clierr.Usagef("give the KBS's PEM certificate", "--kbs-cert %s holds no PEM certificate", a.CACert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: a.Timeout}, nil
}

// tokenSource reads the admin key or token file now (bad input fails before any call).
func (a *KBSAccess) tokenSource() (func() (string, error), error) {
	if a.TokenFile != "" {
		if a.AdminKey != "" {
			return nil, clierr.Usagef("give one of them", "--admin-key and --admin-token-file cannot be used together")
		}
		data, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return nil, clierr.Usagef("give the file holding the admin token", "--admin-token-file: %v", err)
		}
		tok := strings.TrimSpace(string(data))
		return func() (string, error) { return tok, nil }, nil
	}
	path := a.AdminKey
	if path == "" {
		var err error
		if path, err = DefaultAdminKeyPath(); err != nil {
			return nil, clierr.Usagef("pass --admin-key FILE", "no config directory for the admin key: %v", err)
		}
		a.defaultKey = true
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && a.defaultKey {
		return nil, clierr.Usagef("pass --admin-key FILE (the Ed25519 private key whose public half the KBS trusts) or --admin-token-file FILE",
			"no admin key at %s", path)
	}
	if err != nil {
		return nil, clierr.Usagef("give a readable Ed25519 private key (PEM)", "--admin-key: %v", err)
	}
	key, err := kbs.ParsePrivateKey(data)
	if err != nil {
		return nil, clierr.Usagef("give the Ed25519 private key (PEM, PKCS#8) whose public half the KBS trusts", "--admin-key %s: %v", path, err)
	}
	return func() (string, error) { return kbs.MintToken(key, kbs.ChartClaims, time.Now()), nil }, nil
}

// KBSFailure explains a KBS error for the user: exit 1, with the fix.
func KBSFailure(err error, what string) error {
	var ke *kbs.Error
	var ue *kbs.Unreachable
	switch {
	case errors.As(err, &ke) && ke.AdminRefused():
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: what,
			Fix: "use the key the KBS trusts (--admin-key; with Trustee's chart and ephemeral keys, its Secret's KBS_ADMIN_TOKEN via --admin-token-file)"}
	case errors.As(err, &ue):
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: what,
			Fix: "check --kbs-url (for a KBS in the cluster: kubectl port-forward to its Service), and --kbs-cert for https"}
	}
	return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: what}
}
