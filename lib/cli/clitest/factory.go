package clitest

import (
	"bytes"
	"context"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease/helmtest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
)

// Factory hands commands clients on fakes, as kubectl's cmdtesting.TestFactory does: client-go's
// fake clientset and dynamic client, Helm's memory release store, and a garden on Gardener's
// fake clientsets. What is nil is made empty on first use (a Kube made so allows every access
// review, see AllowAll); a Kube without discovery resources serves the built-in kinds. Tests
// add objects and reactors.
type Factory struct {
	Kube    *fake.Clientset
	Dynamic *dynamicfake.FakeDynamicClient
	// ListKinds are the list kinds of the resources commands list through Dynamic (client-go's
	// dynamic fake must be told them).
	ListKinds map[schema.GroupVersionResource]string
	// Namespace is the kubeconfig's namespace ("default" unless set); NamespaceExplicit as -n.
	Namespace         string
	NamespaceExplicit bool
	// Releases are what the Helm store holds, in the namespace of each.
	Releases []*release.Release
	// GardenConn is the garden connection of kubectl shoot and --shoots.
	GardenConn *garden.Conn
	// Shoots are the clients of the clusters commands reach through an issued kubeconfig, by
	// the config's host.
	Shoots map[string]*kube.Clients

	mu   sync.Mutex // fleet reads ask for Helm clients from several goroutines
	helm map[string]*helmrelease.Client
}

func (f *Factory) kube() *fake.Clientset {
	if f.Kube == nil {
		f.Kube = AllowAll(fake.NewClientset())
	}
	if len(f.Kube.Resources) == 0 {
		f.Kube.Resources = builtinResources()
	}
	return f.Kube
}

func (f *Factory) dynamic() *dynamicfake.FakeDynamicClient {
	if f.Dynamic == nil {
		f.Dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), f.ListKinds)
	}
	return f.Dynamic
}

// DynamicClient is the dynamic fake, made with ListKinds when the test gave none.
func (f *Factory) DynamicClient() *dynamicfake.FakeDynamicClient { return f.dynamic() }

// Clients are the fakes as the cluster the connection flags name.
func (f *Factory) Clients() (*kube.Clients, error) {
	ns := f.Namespace
	if ns == "" {
		ns = "default"
	}
	return &kube.Clients{Config: &rest.Config{Host: "https://fake.cluster.test"}, Kube: f.kube(), Dynamic: f.dynamic(),
		Namespace: ns, NamespaceExplicit: f.NamespaceExplicit}, nil
}

// ClientsFor are the clients of Shoots[cfg.Host].
func (f *Factory) ClientsFor(cfg *rest.Config) (*kube.Clients, error) {
	if c, ok := f.Shoots[cfg.Host]; ok {
		return c, nil
	}
	return nil, &unreachable{host: cfg.Host}
}

// HelmClient is Helm's memory store of namespace's releases, the same one for every call of a
// test (an uninstall is seen by the status after it).
func (f *Factory) HelmClient(_ *rest.Config, namespace string) (*helmrelease.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.helm[namespace]; ok {
		return c, nil
	}
	var rels []*release.Release
	for _, r := range f.Releases {
		if r.Namespace == "" || r.Namespace == namespace {
			rels = append(rels, r)
		}
	}
	c, err := helmtest.MemoryClient(namespace, rels...)
	if err != nil {
		return nil, err
	}
	if f.helm == nil {
		f.helm = map[string]*helmrelease.Client{}
	}
	f.helm[namespace] = c
	return c, nil
}

// Garden is the test's garden connection (a usage error when the test has none).
func (f *Factory) Garden(*garden.Flags) (*garden.Conn, error) {
	if f.GardenConn == nil {
		return nil, &unreachable{host: "the garden"}
	}
	return f.GardenConn, nil
}

type unreachable struct{ host string }

func (u *unreachable) Error() string {
	return "dial tcp: " + u.host + ": connection refused (no fake for it)"
}

// Result is what a command line printed and its exit code.
type Result struct {
	Code     int
	Out, Err string
}

// Exec runs a plugin's command line on the factory as the binary runs it (flags, Complete,
// Validate, Run, the error printed and the exit code).
func Exec(newRoot func(genericiooptions.IOStreams) (*cobra.Command, *cli.Globals), f cli.Factory, args ...string) Result {
	return ExecStdin(newRoot, f, "", args...)
}

// ExecStdin is Exec with text on stdin.
func ExecStdin(newRoot func(genericiooptions.IOStreams) (*cobra.Command, *cli.Globals), f cli.Factory, stdin string, args ...string) Result {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	root, g := newRoot(streams)
	g.Factory = f
	root.SetArgs(args)
	code := cli.ExecuteContext(context.Background(), root, streams)
	return Result{Code: code, Out: out.String(), Err: errOut.String()}
}
