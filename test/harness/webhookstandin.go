package harness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// IngressWebhook is a test helper that plays the ingress-nginx controller's admission endpoint
// (its pods serve validate.nginx.ingress.kubernetes.io) on 127.0.0.1 with TLS: while the
// controller Deployment ingress-nginx/ingress-nginx-controller is not Available, or while Hang
// is set, it accepts connections and never answers, as a webhook whose pods are not ready; then
// it allows every AdmissionReview. The chart fixture points its webhook here (testURL).
type IngressWebhook struct {
	server *httptest.Server
	hang   atomic.Bool
	quit   chan struct{}
	cs     kubernetes.Interface
	URL    string
	// CABundle is the server certificate, base64 PEM, for clientConfig.caBundle.
	CABundle string
}

// StartIngressWebhook starts the stand-in; Close stops it.
func StartIngressWebhook(cs kubernetes.Interface) *IngressWebhook {
	w := &IngressWebhook{cs: cs, quit: make(chan struct{})}
	w.server = httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	w.server.Listener = l
	w.server.StartTLS()
	w.URL = w.server.URL + "/networking/v1/ingresses"
	cert := w.server.TLS.Certificates[0].Certificate[0]
	w.CABundle = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))
	return w
}

// Sets are the chart values that point the fixture's webhook at the stand-in.
func (w *IngressWebhook) Sets() []string {
	return []string{"--set", "controller.admissionWebhooks.testURL=" + w.URL, "--set", "controller.admissionWebhooks.testCABundle=" + w.CABundle,
		"--set", "controller.admissionWebhooks.timeoutSeconds=3"}
}

// Hang makes it stop answering (hang true) whatever the controller's state.
func (w *IngressWebhook) Hang(hang bool) { w.hang.Store(hang) }

// Close stops the server, ending the requests it keeps hanging.
func (w *IngressWebhook) Close() {
	close(w.quit)
	w.server.CloseClientConnections()
	w.server.Close()
}

func (w *IngressWebhook) serve(rw http.ResponseWriter, r *http.Request) {
	if w.hang.Load() || !w.controllerAvailable(r.Context()) {
		select { // accepted, never answered: the API server times out
		case <-r.Context().Done():
		case <-w.quit:
		}
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, "bad review", http.StatusBadRequest)
		return
	}
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	review.Request = nil
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(review)
}

func (w *IngressWebhook) controllerAvailable(ctx context.Context) bool {
	d, err := w.cs.AppsV1().Deployments("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
	if err != nil {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
