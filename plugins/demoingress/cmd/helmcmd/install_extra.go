package helmcmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	release "helm.sh/helm/v4/pkg/release/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/download"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// FieldManager names this tool in managedFields.
const FieldManager = "kubectl-demoingress"

// extras are what install makes beside the chart.
type extras struct {
	crds       []*unstructured.Unstructured // the Gateway API install manifest, when its CRDs are absent
	nginxClass *networkingv1.IngressClass   // when absent
	envoy      []*unstructured.Unstructured // EnvoyProxy and GatewayClass
}

// manifest is what a dry run prints for them.
func (e extras) manifest() string {
	var b strings.Builder
	if len(e.crds) > 0 {
		fmt.Fprintf(&b, "---\n# Gateway API %s: %d objects (CRDs and their upgrade policy) would be applied\n", controllers.GatewayAPIVersion, len(e.crds))
	}
	objs := e.envoy
	if e.nginxClass != nil {
		u, _ := toUnstructured(e.nginxClass)
		objs = append([]*unstructured.Unstructured{u}, objs...)
	}
	for _, o := range objs {
		data, _ := yaml.Marshal(o.Object)
		b.WriteString("---\n# made beside the chart by kubectl demoingress\n" + string(data))
	}
	return b.String()
}

func toUnstructured(obj any) (*unstructured.Unstructured, error) {
	data, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	err = yaml.Unmarshal(data, &m)
	return &unstructured.Unstructured{Object: m}, err
}

func parseObjects(data []byte) ([]*unstructured.Unstructured, error) { return apply.Parse(data) }

// extraObjects reads the cluster and decides what to make beside the chart.
func (o *InstallOptions) extraObjects(ctx context.Context) (extras, error) {
	var e extras
	switch o.spec.Name {
	case controllers.Traefik:
		crds, err := o.gatewayAPIToInstall(ctx)
		if err != nil {
			return e, err
		}
		e.crds = crds
		if e.nginxClass, err = o.nginxClassToMake(ctx); err != nil {
			return e, err
		}
	case controllers.EnvoyGateway:
		e.envoy = controllers.EnvoyObjects(o.opts)
	}
	return e, nil
}

// gatewayAPIToInstall checks the Gateway API CRDs on the cluster: those deploy --gateway needs
// all present and new enough (nil), all absent (the install manifest, fetched and checked), or
// in between. An install of this tool's that stopped partway is completed: the whole manifest
// again. Anything else partial is refused.
func (o *InstallOptions) gatewayAPIToInstall(ctx context.Context) ([]*unstructured.Unstructured, error) {
	found := map[string]controllers.Written{}
	var absent []string
	for _, name := range controllers.GatewayAPINeeded {
		w, ok, err := o.readGatewayCRD(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			absent = append(absent, name)
			continue
		}
		found[name] = w
		warn, err := controllers.CheckInstalledBundle(name, w.Bundle)
		if err != nil {
			return nil, clierr.Failf("upgrade the Gateway API CRDs ("+controllers.GatewayAPICRDs+"), or ask who installed them", "%v", err)
		}
		if warn != "" {
			o.g.Note(warn)
		}
	}
	switch {
	case len(absent) == len(controllers.GatewayAPINeeded):
		return o.fetchGatewayAPI(ctx)
	case len(absent) > 0:
		if err := controllers.PartialGatewayAPI(found, FieldManager); err != nil {
			return nil, clierr.Failf("install the whole Gateway API "+controllers.GatewayAPIVersion+" ("+controllers.GatewayAPICRDs+"), or remove the partial install", "%v", err)
		}
	case !controllers.OursAt(found, FieldManager):
		return nil, nil // someone else's install: all that deploy --gateway needs is there
	}
	rest, err := o.missingFromBundle(ctx)
	if err != nil {
		return nil, err
	}
	if absent = append(absent, rest...); len(absent) == 0 {
		return nil, nil
	}
	// Only what is missing: what is there stays as it is, whoever changed it since.
	objs, err := o.fetchGatewayAPI(ctx)
	if err != nil {
		return nil, err
	}
	objs = slices.DeleteFunc(objs, func(u *unstructured.Unstructured) bool {
		return !slices.Contains(absent, controllers.BundleObjectName(u))
	})
	o.g.Note(fmt.Sprintf("an earlier install applied only part of the Gateway API %s: install applies what is missing (%s)", controllers.GatewayAPIVersion, strings.Join(absent, ", ")))
	return objs, nil
}

// readGatewayCRD reads one Gateway API CRD: who wrote it at which bundle, or absent.
func (o *InstallOptions) readGatewayCRD(ctx context.Context, name string) (controllers.Written, bool, error) {
	crd, err := o.clients.Dynamic.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return controllers.Written{}, false, nil
	case err != nil:
		return controllers.Written{}, false, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "customresourcedefinitions.apiextensions.k8s.io", Name: name}),
			"cannot tell whether the Gateway API is installed")
	case crd.GetDeletionTimestamp() != nil:
		return controllers.Written{}, false, clierr.Failf("wait until it is gone (kubectl get crd "+name+"), then install again", "CRD %s is being deleted", name)
	}
	var ms []string
	for _, f := range crd.GetManagedFields() {
		if !slices.Contains(ms, f.Manager) {
			ms = append(ms, f.Manager)
		}
	}
	ann := crd.GetAnnotations()
	return controllers.Written{Managers: ms, Bundle: ann[controllers.BundleVersionAnnotation], Channel: ann[controllers.ChannelAnnotation]}, true, nil
}

// missingFromBundle names what of this tool's Gateway API install is not on the cluster besides
// the CRDs deploy --gateway needs: the bundle's other CRDs, the safe-upgrades policy and its
// binding.
func (o *InstallOptions) missingFromBundle(ctx context.Context) ([]string, error) {
	var missing []string
	for _, name := range controllers.GatewayAPIBundle {
		if slices.Contains(controllers.GatewayAPINeeded, name) {
			continue
		}
		_, ok, err := o.readGatewayCRD(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, name)
		}
	}
	admission := o.clients.Kube.AdmissionregistrationV1()
	_, err := admission.ValidatingAdmissionPolicies().Get(ctx, controllers.SafeUpgrades, metav1.GetOptions{})
	if missing, err = noteAbsent(missing, err, "validatingadmissionpolicies.admissionregistration.k8s.io"); err != nil {
		return nil, err
	}
	_, err = admission.ValidatingAdmissionPolicyBindings().Get(ctx, controllers.SafeUpgrades, metav1.GetOptions{})
	return noteAbsent(missing, err, "validatingadmissionpolicybindings.admissionregistration.k8s.io")
}

// noteAbsent adds resource/SafeUpgrades to missing when the read found nothing; another error
// is no verdict.
func noteAbsent(missing []string, err error, resource string) ([]string, error) {
	switch {
	case apierrors.IsNotFound(err):
		return append(missing, resource+"/"+controllers.SafeUpgrades), nil
	case err != nil:
		return nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: resource, Name: controllers.SafeUpgrades}),
			"cannot tell whether the Gateway API is completely installed")
	}
	return missing, nil
}

// maxCRDBytes bounds the downloaded install manifest (v1.6.1 standard-install.yaml is ~1 MiB).
const maxCRDBytes = 16 << 20

func (o *InstallOptions) fetchGatewayAPI(ctx context.Context) ([]*unstructured.Unstructured, error) {
	data, err := download.URLOrFile(ctx, o.GatewayAPICRDs, maxCRDBytes)
	if err != nil {
		return nil, &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: "cannot read the Gateway API install manifest " + o.GatewayAPICRDs,
			Fix: "check your network, or download it and pass --gateway-api-crds FILE (in closed networks: a mirror's URL)"}
	}
	objs, err := apply.Parse(data)
	if err == nil {
		err = controllers.CheckCRDManifest(objs)
	}
	if err != nil {
		return nil, clierr.Failf("pass the Gateway API "+controllers.GatewayAPIVersion+" standard-install.yaml ("+controllers.GatewayAPICRDs+")",
			"%s: %v; nothing was applied", o.GatewayAPICRDs, err)
	}
	return objs, nil
}

// nginxClassToMake checks the IngressClass nginx: absent (to make), or one Traefik can serve.
func (o *InstallOptions) nginxClassToMake(ctx context.Context) (*networkingv1.IngressClass, error) {
	c, err := o.clients.Kube.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return controllers.NginxClass(), nil
	case err != nil:
		return nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "ingressclasses.networking.k8s.io", Name: "nginx"}), "cannot tell whether IngressClass nginx exists")
	}
	owner, err := controllers.CheckNginxClass(c)
	if err != nil {
		return nil, clierr.Failf("the guide's Ingress names class nginx; change that class's controller to "+controllers.NginxController+" or remove it, then install again", "%v", err)
	}
	if owner != controllers.ManagedBy && c.Annotations[controllers.HelmKeep] != "keep" && !o.quietNext { // migrate keeps it itself
		o.g.Note(fmt.Sprintf("IngressClass nginx (controller %s) belongs to %s: Traefik serves it, but removing its owner may remove it; kubectl demoingress migrate keeps it", controllers.NginxController, owner))
	}
	return nil, nil
}

// preflight asks, before anything is changed, for every permission install needs (and extra,
// what a caller does beside it), in one request list.
func (o *InstallOptions) preflight(ctx context.Context, rendered *release.Release, e extras, extra ...access.Request) error {
	var reqs []access.Request
	if o.shipsCRDs { // Helm creates the chart's CRDs on a first install (and is refused, not told "exists", without the right)
		if rel, err := o.releases.Get(ctx, o.spec.Release); err == nil && rel == nil {
			reqs = append(reqs, access.Request{Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"})
		}
	}
	if len(e.crds) > 0 {
		// Server-side apply is a patch, and a create for what is absent.
		for _, verb := range []string{"create", "patch"} {
			reqs = append(reqs, access.Request{Verb: verb, Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
				access.Request{Verb: verb, Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"},
				access.Request{Verb: verb, Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"})
		}
		// the chart's GatewayClass: its kind is not known to the API server until the CRDs exist
		reqs = append(reqs, access.Request{Verb: "create", Group: controllers.GatewayAPIGroup, Resource: "gatewayclasses"})
	}
	if e.nginxClass != nil {
		reqs = append(reqs, access.Request{Verb: "create", Group: "networking.k8s.io", Resource: "ingressclasses"})
	}
	if len(e.envoy) > 0 {
		for _, verb := range []string{"create", "patch"} {
			reqs = append(reqs, access.Request{Verb: verb, Group: "gateway.envoyproxy.io", Resource: "envoyproxies", Namespace: o.spec.Namespace},
				access.Request{Verb: verb, Group: controllers.GatewayAPIGroup, Resource: "gatewayclasses"})
		}
	}
	return o.releases.PreflightWith(ctx, o.clients.Config, o.clients.Kube, rendered, append(reqs, extra...)...)
}

// applyBefore makes what the chart needs before it is installed: the Gateway API CRDs (the
// chart renders a GatewayClass) and the IngressClass nginx.
func (o *InstallOptions) applyBefore(ctx context.Context, e extras) error {
	if len(e.crds) > 0 {
		if err := o.applier().Apply(ctx, e.crds, apply.Options{FieldManager: FieldManager}); err != nil {
			return clierr.Wrap(err, "installing the Gateway API CRDs")
		}
		fmt.Fprintf(o.g.Streams.Out, "Gateway API %s CRDs installed (from %s)\n", controllers.GatewayAPIVersion, o.GatewayAPICRDs)
	}
	if e.nginxClass != nil {
		_, err := o.clients.Kube.NetworkingV1().IngressClasses().Create(ctx, e.nginxClass, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "ingressclasses.networking.k8s.io", Name: "nginx"})
		}
		fmt.Fprintf(o.g.Streams.Out, "ingressclass nginx created (controller %s, served by Traefik's ingress-nginx provider)\n", controllers.NginxController)
	}
	return nil
}

// applyAfter makes what needs the chart's CRDs: the EnvoyProxy and the GatewayClass.
func (o *InstallOptions) applyAfter(ctx context.Context, e extras) error {
	if len(e.envoy) == 0 {
		return nil
	}
	if err := o.applier().Apply(ctx, e.envoy, apply.Options{FieldManager: FieldManager}); err != nil {
		return clierr.Wrap(err, "applying the EnvoyProxy and GatewayClass %s", controllers.EnvoyGatewayClass)
	}
	ip := "the address the load balancer chooses"
	if o.LoadBalancerIP != "" {
		ip = o.LoadBalancerIP
	}
	fmt.Fprintf(o.g.Streams.Out, "envoyproxy %s/%s and gatewayclass %s applied (Envoy Services get %s)\n", o.spec.Namespace, controllers.EnvoyProxyName, controllers.EnvoyGatewayClass, ip)
	return nil
}

func (o *InstallOptions) applier() *apply.Applier {
	return apply.For(o.clients.Dynamic, o.clients.Kube.Discovery())
}
