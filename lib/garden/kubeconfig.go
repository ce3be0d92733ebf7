package garden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	authenticationv1alpha1 "github.com/gardener/gardener/pkg/apis/authentication/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// The access an issued kubeconfig gives.
const (
	Admin  = "admin"  // shoots/adminkubeconfig: cluster-admin
	Viewer = "viewer" // shoots/viewerkubeconfig: read all but Secrets
)

// ErrIssued is the Gardener API answering a kubeconfig request with no valid kubeconfig.
var ErrIssued = errors.New("the Gardener API returned no valid kubeconfig")

// Issued is a short-lived kubeconfig the Gardener API issued for a shoot.
type Issued struct {
	Kubeconfig []byte
	Expires    time.Time
	Access     string
}

// issuedStatus is the status both AdminKubeconfigRequest and ViewerKubeconfigRequest return
// (gardener pkg/apis/authentication/v1alpha1: kubeconfig, expirationTimestamp).
type issuedStatus struct {
	Status struct {
		Kubeconfig          []byte      `json:"kubeconfig"`
		ExpirationTimestamp metav1.Time `json:"expirationTimestamp"`
	} `json:"status"`
}

// IssueKubeconfig asks the shoot's adminkubeconfig (access Admin) or viewerkubeconfig
// subresource for a kubeconfig valid for expiration (Gardener's minimum is 10 minutes). API
// errors are returned as they are: a 403 means the user's role does not allow it.
func (c *Conn) IssueKubeconfig(ctx context.Context, namespace, shoot, access string, expiration time.Duration) (*Issued, error) {
	if c.Issue != nil {
		return c.Issue(ctx, namespace, shoot, access, expiration)
	}
	secs := int64(expiration.Seconds())
	var req any = authenticationv1alpha1.AdminKubeconfigRequest{
		TypeMeta: metav1.TypeMeta{APIVersion: authenticationv1alpha1.SchemeGroupVersion.String(), Kind: "AdminKubeconfigRequest"},
		Spec:     authenticationv1alpha1.AdminKubeconfigRequestSpec{ExpirationSeconds: &secs},
	}
	if access == Viewer {
		req = authenticationv1alpha1.ViewerKubeconfigRequest{
			TypeMeta: metav1.TypeMeta{APIVersion: authenticationv1alpha1.SchemeGroupVersion.String(), Kind: "ViewerKubeconfigRequest"},
			Spec:     authenticationv1alpha1.ViewerKubeconfigRequestSpec{ExpirationSeconds: &secs},
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	raw, err := c.Core.CoreV1beta1().RESTClient().Post().Namespace(namespace).Resource("shoots").Name(shoot).
		SubResource(access+"kubeconfig").SetHeader("Content-Type", "application/json").Body(body).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var resp issuedStatus
	if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Status.Kubeconfig) == 0 {
		return nil, fmt.Errorf("%w: no %s kubeconfig for %s", ErrIssued, access, shoot)
	}
	if _, err := clientcmd.Load(resp.Status.Kubeconfig); err != nil {
		return nil, fmt.Errorf("%w: the %s kubeconfig for %s does not load: %v", ErrIssued, access, shoot, err)
	}
	return &Issued{Kubeconfig: resp.Status.Kubeconfig, Expires: resp.Status.ExpirationTimestamp.Time, Access: access}, nil
}
