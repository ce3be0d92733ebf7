package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// caFiles is the CA read, or made now and written before anything reaches the cluster (a
// certificate in the cluster whose CA is lost could not be trusted or re-issued).
type caFiles struct {
	ca       *trusteechart.CA
	certPath string
}

// kbsCA reads or makes the CA when the KBS serves TLS.
func (o *TrusteeInstallOptions) kbsCA(tls bool) (*caFiles, error) {
	if !tls {
		return nil, nil
	}
	certPath, keyPath, err := trustee.KBSCAFiles()
	if err != nil {
		return nil, clierr.Usagef("set XDG_CONFIG_HOME", "no config directory for the KBS's CA: %v", err)
	}
	certPEM, errC := os.ReadFile(certPath)
	keyPEM, errK := os.ReadFile(keyPath)
	switch {
	case errC == nil && errK == nil:
		ca, err := trusteechart.ParseCA(certPEM, keyPEM)
		if err != nil {
			return nil, clierr.Failf("remove both files to start a new CA (guests then need new initdata)", "the KBS's CA %s / %s: %v", certPath, keyPath, err)
		}
		return &caFiles{ca: ca, certPath: certPath}, nil
	case !errors.Is(errC, fs.ErrNotExist) || !errors.Is(errK, fs.ErrNotExist):
		return nil, clierr.Failf("restore both files, or remove both to start a new CA", "the KBS's CA is incomplete or unreadable: %v", errors.Join(errC, errK))
	}
	ca, err := trusteechart.NewCA(time.Now())
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err = ca.PEM()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("writing the KBS's CA key: %w", err)
	}
	if err := atomicfile.Write(certPath, certPEM, 0o600); err != nil {
		return nil, fmt.Errorf("writing the KBS's CA certificate: %w", err)
	}
	o.g.Note("created the KBS's CA " + certPath + " (its key beside it, mode 0600): initdata's kbs_cert and --kbs-cert trust it")
	return &caFiles{ca: ca, certPath: certPath}, nil
}

// ensureTLSSecret makes the KBS's certificate Secret for the names and the address it is reached
// at, keeps one that still covers them, and re-issues one that does not. The KBS's pod waits for
// the Secret's volume, so it is made once the Services have their addresses.
func (o *TrusteeInstallOptions) ensureTLSSecret(ctx context.Context, ns string, ca *caFiles, r *trusteechart.Rendered, kbsURL string) (string, error) {
	u, err := url.Parse(kbsURL)
	if err != nil {
		return "", err
	}
	hosts := trusteechart.KBSHosts(r.KBSService, ns, u.Hostname())
	if r.Exposed != r.KBSService {
		hosts = append(hosts, trusteechart.KBSHosts(r.Exposed, ns)[:4]...)
	}
	if ip, err := o.serviceIP(ctx, ns, r.KBSService); err == nil {
		hosts = append(hosts, ip)
	}
	name := trusteechart.TLSSecretName(trusteechart.ReleaseName)
	secrets := o.clients.Kube.CoreV1().Secrets(ns)
	old, err := secrets.Get(ctx, name, metav1.GetOptions{})
	found := err == nil
	switch {
	case found && ca.ca.Covers(old.Data, hosts, time.Now()) == nil:
		return ca.certPath, nil
	case !found && !apierrors.IsNotFound(err):
		return "", clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "secrets", Namespace: ns, Name: name})
	}
	data, err := ca.ca.Issue(hosts, time.Now())
	if err != nil {
		return "", err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{cmdutil.ManagedByLabel: cmdutil.ManagedBy}},
		Type: corev1.SecretTypeTLS, Data: data}
	if found {
		sec.ResourceVersion = old.ResourceVersion
		_, err = secrets.Update(ctx, sec, metav1.UpdateOptions{FieldManager: cmdutil.ManagedBy})
	} else {
		_, err = secrets.Create(ctx, sec, metav1.CreateOptions{FieldManager: cmdutil.ManagedBy})
	}
	if err != nil {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "secrets", Namespace: ns, Name: name})
	}
	return ca.certPath, nil
}

func (o *TrusteeInstallOptions) serviceIP(ctx context.Context, ns, name string) (string, error) {
	svc, err := o.clients.Kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return svc.Spec.ClusterIP, nil
}
