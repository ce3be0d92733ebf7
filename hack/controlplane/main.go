// Command controlplane is every server the sandbox and the tests run, in one binary as hyperkube
// was: one link instead of six, and one compile of what they share. It acts as the program
// named by the name it is called by (hack/testbin.sh links kube-apiserver, etcd, ... to it), or
// by its first argument: controlplane kube-apiserver --help. kubectl is not in it: kubectl is
// the yardstick of start-up and memory benchmarks, and in this binary it would start with every
// server's package initialisation (measured: twice the time and memory); testbin.sh builds
// upstream's cmd/kubectl beside it (tools.go keeps it in this module).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	_ "time/tzdata" // CronJob time zones, as cmd/kube-apiserver and cmd/kube-controller-manager import it

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json, as every cmd/ main
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as every cmd/ main
	_ "k8s.io/component-base/metrics/prometheus/version"  // the version metric, as every cmd/ main
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwokcmd "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	kwoksignals "sigs.k8s.io/kwok/pkg/utils/signals"
)

// programs are the mains of k8s.io/kubernetes v1.36.4 cmd/*, etcd's etcdmain and kwok's
// cmd/kwok, each reduced to the calls it makes.
var programs = map[string]func() int{
	"kube-apiserver":          func() int { return cli.Run(apiserver.NewAPIServerCommand()) },
	"kube-controller-manager": func() int { return cli.Run(controllermanager.NewControllerManagerCommand()) },
	"kube-scheduler":          func() int { return cli.Run(scheduler.NewSchedulerCommand()) },
	"kubelet":                 func() int { return cli.Run(kubelet.NewKubeletCommand(context.Background())) },
	"etcd":                    func() int { etcdmain.Main(os.Args); return 0 },
	"kwok":                    kwok,
}

func main() {
	name := filepath.Base(os.Args[0])
	if _, ok := programs[name]; !ok && len(os.Args) > 1 {
		name, os.Args = os.Args[1], os.Args[1:]
	}
	run, ok := programs[name]
	if !ok {
		names := make([]string, 0, len(programs))
		for n := range programs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: controlplane PROGRAM [ARGS...], or call it by a link named PROGRAM; PROGRAM is one of %v\n", names)
		os.Exit(2)
	}
	os.Exit(run())
}

// kwok takes its global flags (logging, --config) before the command, as kwok's cmd/kwok does.
// The Kubernetes programs linked beside it register a global --version of their own
// (k8s.io/component-base/version/verflag, at init), which cobra would merge into kwok's command
// and take for kwok's boolean --version: kwok runs without it.
func kwok() int {
	withoutVersion := pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
	pflag.CommandLine.VisitAll(func(f *pflag.Flag) {
		if f.Name != "version" {
			withoutVersion.AddFlag(f)
		}
	})
	pflag.CommandLine = withoutVersion
	flags := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flags.ParseErrorsAllowlist.UnknownFlags = true
	flags.Usage = func() {}
	ctx, logger := kwoklog.InitFlags(kwoksignals.SetupSignalContext(), flags)
	ctx, err := kwokconfig.InitFlags(ctx, flags)
	if err != nil {
		fmt.Fprint(os.Stderr, flags.FlagUsages())
		logger.Error("Init config flags", "err", err)
		return 1
	}
	command := kwokcmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flags)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		return 1
	}
	return 0
}
