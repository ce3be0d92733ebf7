package helmcmd

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/migration"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// preflight asks for every permission the whole move needs before the first change.
func (o *MigrateOptions) preflight(ctx context.Context, rendered *release.Release, e extras) error {
	ns := nginx.Namespace
	trNS := o.install.spec.Namespace
	reqs := []access.Request{
		{Verb: "patch", Group: "networking.k8s.io", Resource: "ingressclasses"},
		// the old Service: annotated, deleted, and made again by a rollback
		{Verb: "patch", Resource: "services", Namespace: ns}, {Verb: "delete", Resource: "services", Namespace: ns}, {Verb: "create", Resource: "services", Namespace: ns},
		// Traefik's Service made anew, and its release upgraded
		{Verb: "delete", Resource: "services", Namespace: trNS}, {Verb: "patch", Resource: "services", Namespace: trNS},
		{Verb: "update", Resource: "secrets", Namespace: trNS}, {Verb: "delete", Resource: "secrets", Namespace: trNS},
		// ingress-nginx's release: upgraded (keep policy), then uninstalled
		{Verb: "create", Resource: "secrets", Namespace: ns}, {Verb: "update", Resource: "secrets", Namespace: ns}, {Verb: "delete", Resource: "secrets", Namespace: ns},
	}
	for _, n := range []string{ns, trNS} { // the waits follow Services with list and watch
		reqs = append(reqs, access.Request{Verb: "list", Resource: "services", Namespace: n}, access.Request{Verb: "watch", Resource: "services", Namespace: n})
	}
	a := apply.For(o.clients.Dynamic, o.clients.Kube.Discovery())
	oldObjs := o.old.release.Manifest
	for _, h := range o.old.release.Hooks { // the keep-policy upgrade runs the chart's upgrade hooks
		oldObjs += "\n---\n" + h.Manifest
	}
	if objs, err := apply.Parse([]byte(oldObjs)); err == nil {
		reqs = append(reqs, a.AccessRequests(objs, ns, "create", "patch", "delete")...)
	}
	if objs, err := apply.Parse([]byte(rendered.Manifest)); err == nil {
		reqs = append(reqs, a.AccessRequests(objs, trNS, "patch", "delete")...)
	}
	if err := o.install.preflight(ctx, rendered, e, reqs...); err != nil {
		return clierr.Wrap(err, "the move needs these permissions; nothing was changed")
	}
	return nil
}

// installTraefik installs Traefik beside ingress-nginx and compares every request through both.
func (o *MigrateOptions) installTraefik(ctx context.Context, e extras) error {
	in := o.install
	existing, err := in.releases.Get(ctx, in.spec.Release)
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: in.spec.Namespace})
	}
	if err := in.applyBefore(ctx, e); err != nil {
		return err
	}
	o.installed = existing == nil // set before: an interrupted install is undone too
	rel, err := in.helmInstall(ctx, o.chart)
	if err != nil {
		return o.undoInstall(err)
	}
	if err := in.applyAfter(ctx, e); err != nil {
		return o.undoInstall(err)
	}
	if err := in.waitReady(ctx, rel); err != nil {
		return o.undoInstall(err)
	}
	addr, err := o.traefikAddress(ctx)
	if err != nil {
		return o.undoInstall(err)
	}
	if o.SecondIP != "" && addr != o.SecondIP {
		o.dropTraefikService(ctx) // keep-floatingip off first: the address the cloud chose goes with it
		return o.undoInstall(clierr.Failf("check the floating IP in your OpenStack project (free, and in the project of this cluster), then migrate again",
			"Traefik's Service got %s, not the floating IP %s: the cloud controller allocated a new address", addr, o.SecondIP))
	}
	probes := o.compare(ctx, o.ip, addr, "before the move")
	if ctx.Err() != nil {
		return o.undoInstall(clierr.ErrInterrupted)
	}
	if migration.Failed(probes) {
		return o.undoInstall(clierr.Failf("kubectl demoingress audit explains annotations Traefik serves differently; nothing was moved",
			"Traefik does not answer every Ingress as ingress-nginx does"))
	}
	return nil
}

// undoInstall removes a Traefik this run installed, after a failure before the move.
func (o *MigrateOptions) undoInstall(cause error) error {
	if !o.installed {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	if _, err := o.install.releases.Uninstall(ctx, o.install.spec.Release, o.Timeout); err != nil {
		fmt.Fprintf(o.g.Streams.ErrOut, "Warning: removing the Traefik this run installed failed: %v\n", err)
	} else {
		fmt.Fprintln(o.g.Streams.Out, "release traefik uninstalled again (installed by this run); ingress-nginx kept serving")
	}
	return cause
}

func (o *MigrateOptions) traefikAddress(ctx context.Context) (string, error) {
	return waitAddress(ctx, o.clients, o.install.spec, o.Timeout, o.g.Progress())
}

// compare requests every target through both addresses and prints each result; with no old
// address (after the move) the old controller's answers from before the move stand in.
func (o *MigrateOptions) compare(ctx context.Context, oldAddr, newAddr, when string) []migration.Probe {
	out := o.g.Streams.Out
	var probes []migration.Probe
	if o.before == nil {
		o.before = map[migration.Target]*httpcheck.Result{}
	}
	for _, t := range o.targets {
		var oldR, newR *httpcheck.Result
		if t.Skip == "" {
			newR = o.request(ctx, newAddr, t, 3)
			if oldAddr != "" {
				oldR = o.request(ctx, oldAddr, t, 1)
				o.before[t] = oldR
			} else {
				oldR = o.before[t]
			}
		}
		p := migration.Compare(t, oldR, newR)
		probes = append(probes, p)
		fmt.Fprintf(out, "  %-4s %s (%s): %s\n", p.Status, p.Name, when, p.Detail)
	}
	return probes
}

func (o *MigrateOptions) request(ctx context.Context, addr string, t migration.Target, attempts int) *httpcheck.Result {
	url := "http://" + net.JoinHostPort(addr, strconv.Itoa(o.Port)) + t.Path
	r := httpcheck.Check(ctx, url, httpcheck.Options{Host: t.Host, Attempts: attempts, PerTry: 5 * time.Second})
	return &r
}

// moveAndFinish moves the floating IP (or, with --second-ip, leaves both serving) and removes
// ingress-nginx; a failure after the old Service is gone rolls back.
func (o *MigrateOptions) moveAndFinish(ctx context.Context) error {
	out := o.g.Streams.Out
	if o.SecondIP != "" {
		fmt.Fprintf(out, "Traefik serves on %s, ingress-nginx still on %s; the Ingresses show %s until the switch.\n", o.SecondIP, o.ip, o.ip)
		fmt.Fprintf(out, "next: point DNS at %s, then: kubectl demoingress delete --controller=ingress-nginx\n", o.SecondIP)
		fmt.Fprintf(out, "then: kubectl demoingress install --load-balancer-ip %s --keep-floating-ip   # the Ingresses then show %s\n", o.SecondIP, o.SecondIP)
		return nil
	}
	if err := o.releaseOldService(ctx); err != nil {
		return err
	}
	if err := o.takeIP(ctx); err != nil {
		return o.rollback(err)
	}
	if _, err := o.old.helm.Uninstall(ctx, nginx.ReleaseName, o.Timeout); err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "the release's objects", Namespace: nginx.Namespace}), "Traefik serves on %s; uninstalling ingress-nginx failed (run: kubectl demoingress delete --controller=ingress-nginx)", o.ip)
	}
	fmt.Fprintf(out, "release %s/%s uninstalled (IngressClass nginx kept)\n", nginx.Namespace, nginx.ReleaseName)
	if err := o.labelIngressClass(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "migrated: Traefik serves every Ingress of class nginx on %s\nto roll back:\n", o.ip)
	for _, line := range migration.Rollback(o.ip) {
		fmt.Fprintln(out, "  "+line)
	}
	return nil
}

// releaseOldService keeps the floating IP in the project and deletes ingress-nginx's Service.
func (o *MigrateOptions) releaseOldService(ctx context.Context) error {
	svcs := o.clients.Kube.CoreV1().Services(nginx.Namespace)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"true"}}}`, nginx.KeepFloatingIP)
	if _, err := svcs.Patch(ctx, o.oldSvc.Name, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return o.undoInstall(clierr.FromAPI(err, clierr.Action{Verb: "patch", Resource: "services", Namespace: nginx.Namespace, Name: o.oldSvc.Name}))
	}
	if err := o.deleteService(ctx, nginx.Namespace, o.oldSvc.Name); err != nil {
		return o.rollback(err)
	}
	fmt.Fprintf(o.g.Streams.Out, "service %s/%s deleted; floating IP %s kept in the project\n", nginx.Namespace, o.oldSvc.Name, o.ip)
	return nil
}

// takeIP makes Traefik's Service anew with the floating IP and confirms it got exactly that one.
func (o *MigrateOptions) takeIP(ctx context.Context) error {
	in := o.install
	if err := o.deleteService(ctx, in.spec.Namespace, o.newSvc); err != nil {
		return err
	}
	if err := o.finalValues(); err != nil {
		return err
	}
	if _, err := in.renderAndCheck(ctx, o.chart); err != nil { // checked before the move: this only fails if the cluster changed
		return err
	}
	if _, err := in.helmInstall(ctx, o.chart); err != nil {
		return err
	}
	got, err := o.traefikAddress(ctx)
	if err != nil {
		return err
	}
	if got != o.ip {
		return clierr.Failf("the floating IP was not free when Traefik's load balancer was made; check it in your OpenStack project and release "+got+" there if unused",
			"Traefik's Service got %s, not the floating IP %s: the cloud controller allocated a new address", got, o.ip)
	}
	fmt.Fprintf(o.g.Streams.Out, "Traefik's Service has the floating IP %s\n", o.ip)
	probes := o.compare(ctx, "", o.ip, "after the move")
	if ctx.Err() != nil {
		return clierr.ErrInterrupted
	}
	if migration.Failed(probes) {
		return clierr.Failf("kubectl demoingress audit explains annotations Traefik serves differently", "Traefik does not answer every Ingress on %s", o.ip)
	}
	return nil
}

func (o *MigrateOptions) deleteService(ctx context.Context, ns, name string) error {
	svcs := o.clients.Kube.CoreV1().Services(ns)
	if err := svcs.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "services", Namespace: ns, Name: name})
	}
	return waitGone(ctx, waitfor.OnClient(o.clients.Kube, waitfor.Named(svcs, name)), &corev1.Service{}, o.Timeout,
		"kubectl -n "+ns+" describe service "+name+" shows what holds it (finalizers of the cloud controller)", fmt.Sprintf("service %s/%s is not gone after %s", ns, name, o.Timeout),
		clierr.Action{Verb: "watch", Resource: "services", Namespace: ns})
}

// rollback brings ingress-nginx back on the floating IP after the move went wrong (also on
// Ctrl-C: it runs on a context of its own), and removes a Traefik this run installed.
func (o *MigrateOptions) rollback(cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	out, errOut := o.g.Streams.Out, o.g.Streams.ErrOut
	fmt.Fprintf(errOut, "move failed: %v\nrolling back: ingress-nginx gets its Service and the floating IP %s again\n", cause, o.ip)
	o.dropTraefikService(ctx)
	_ = o.undoInstall(nil)
	if err := o.recreateOldService(ctx); err != nil {
		return clierr.Wrap(cause, "rollback failed too (%v): run kubectl demoingress install --controller ingress-nginx --load-balancer-ip %s --keep-floating-ip", err, o.ip)
	}
	spec, _ := controllers.Get(controllers.IngressNginx)
	got, err := waitAddress(ctx, o.clients, spec, o.Timeout, o.g.Progress())
	switch {
	case err != nil:
		fmt.Fprintf(errOut, "Warning: ingress-nginx's Service has no address yet: %v\n", err)
	case got != o.ip:
		fmt.Fprintf(errOut, "Warning: ingress-nginx's Service got %s, not %s\n", got, o.ip)
	default:
		fmt.Fprintf(out, "rolled back: ingress-nginx serves on %s again\n", got)
	}
	return cause
}

// dropTraefikService deletes Traefik's Service in a rollback; one that got another address than
// the floating IP loses keep-floatingip first, so that the cloud releases that address.
func (o *MigrateOptions) dropTraefikService(ctx context.Context) {
	ns, errOut := o.install.spec.Namespace, o.g.Streams.ErrOut
	svcs := o.clients.Kube.CoreV1().Services(ns)
	svc, err := svcs.Get(ctx, o.newSvc, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err == nil && kube.LoadBalancerAddress(svc) != o.ip && svc.Annotations[nginx.KeepFloatingIP] == "true" {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"false"}}}`, nginx.KeepFloatingIP)
		if _, err := svcs.Patch(ctx, o.newSvc, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
			fmt.Fprintf(errOut, "Warning: %s stays allocated in your project: %v\n", kube.LoadBalancerAddress(svc), err)
		}
	}
	if err := o.deleteService(ctx, ns, o.newSvc); err != nil {
		fmt.Fprintf(errOut, "Warning: deleting Traefik's Service failed: %v\n", err)
	}
}

// recreateOldService makes ingress-nginx's Service again as it was read before the move, asking
// for the floating IP and keeping it.
func (o *MigrateOptions) recreateOldService(ctx context.Context) error {
	svc := o.oldSvc.DeepCopy()
	svc.ObjectMeta = metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: svc.Labels, Annotations: svc.Annotations}
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	svc.Annotations[nginx.KeepFloatingIP] = "true"
	svc.Spec.LoadBalancerIP = o.ip
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].NodePort = 0 // the old ports may be taken by now
	}
	svc.Spec.HealthCheckNodePort = 0
	svc.Status = corev1.ServiceStatus{}
	svcs := o.clients.Kube.CoreV1().Services(svc.Namespace)
	if cur, err := svcs.Get(ctx, svc.Name, metav1.GetOptions{}); err == nil {
		if cur.DeletionTimestamp == nil {
			return nil // the old Service was never deleted (cut short before), or was made again already
		}
		// the old Service, going: wait until it is gone, then make it again
		if err := o.deleteService(ctx, svc.Namespace, svc.Name); err != nil {
			return err
		}
	} else if !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "services", Namespace: svc.Namespace, Name: svc.Name})
	}
	_, err := svcs.Create(ctx, svc, metav1.CreateOptions{FieldManager: FieldManager})
	return err
}
