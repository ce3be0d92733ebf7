// Command katadeploy is the kata-deploy stand-in image (a test helper): the real kata-deploy
// payload installs Kata on the host and cannot run here. It does what decides whether the real
// pod starts: kata-deploy's start-up check on its environment (test/katadeploy, modelling
// binary/src/config.rs validate) for this node's architecture, as the version the chart says
// (KATA_DEPLOY_VERSION, which our chart fixture sets). It fails as kata-deploy does (its error,
// exit 1, so the pod crash-loops) or, having "installed", waits until it is stopped.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/osc-coco/kubectl-plugins/test/katadeploy"
)

func main() {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	r, err := katadeploy.StartupCheck(env, runtime.GOARCH, env["KATA_DEPLOY_VERSION"])
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("kata-deploy stand-in: shims %s, default %s (built-in list: %v)\n", strings.Join(r.Shims, " "), r.DefaultShim, r.Builtin)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
