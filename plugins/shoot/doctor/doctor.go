// Package doctor checks, without touching the network, what a user needs before Gardener access
// can work: the gardenlogin and kubelogin kubectl plugins, the garden config, and the garden
// kubeconfig it points at. Every failed check carries the fix for the user's OS and architecture.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// Check states, in the collection's vocabulary (lib/report).
const (
	OK   = string(report.Pass)
	Warn = string(report.Warn)
	Fail = string(report.Fail)
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Env is how the doctor sees the machine; tests give it their own PATH and files.
type Env struct {
	LookPath func(string) (string, error)
	// Output runs a found tool with args (bounded by ctx) and returns its stdout.
	Output       func(ctx context.Context, path string, args ...string) (string, error)
	GOOS, GOARCH string
	Home         string
}

// Garden is the garden the local checks settled on, for the API checks that follow.
type Garden struct {
	Identity       string
	KubeconfigPath string
	Context        string
	Config         *clientcmdapi.Config
}

// Plugin names kubectl looks up on PATH.
const (
	Gardenlogin = "kubectl-gardenlogin"
	Kubelogin   = "kubectl-oidc_login"
)

var semverish = regexp.MustCompile(`v?\d+\.\d+\.\d+[0-9A-Za-z.+-]*`)

// Tools checks kubectl-gardenlogin and kubectl-oidc_login. kubelogin is needed only when the
// garden kubeconfig uses it, so its absence is a warning unless needsKubelogin.
func Tools(ctx context.Context, env Env, needsKubelogin bool) []Check {
	var out []Check
	gl := Check{Name: "gardenlogin"}
	if p, err := env.LookPath(Gardenlogin); err == nil {
		gl.Status, gl.Detail = OK, p
		if v := version(ctx, env, p, "version", "--short"); v != "" {
			gl.Detail += " (" + v + ")"
		}
	} else if p, err := env.LookPath("gardenlogin"); err == nil {
		gl.Status = Fail
		gl.Detail = "gardenlogin is installed at " + p + " but not as kubectl-gardenlogin, so shoot kubeconfigs cannot call it"
		gl.Fix = linkFix(env, p)
	} else {
		gl.Status, gl.Detail, gl.Fix = Fail, Gardenlogin+" is not on PATH: shoot kubeconfigs (gardenlogin flavour) cannot get credentials", GardenloginFix(env.GOOS, env.GOARCH)
	}
	out = append(out, gl)

	kl := Check{Name: "kubelogin"}
	if p, err := env.LookPath(Kubelogin); err == nil {
		kl.Status, kl.Detail = OK, p
		if v := version(ctx, env, p, "--version"); v != "" {
			kl.Detail += " (" + v + ")"
		}
	} else {
		kl.Status = Warn
		kl.Detail = Kubelogin + " is not on PATH"
		if needsKubelogin {
			kl.Status = Fail
			kl.Detail += `: the garden kubeconfig logs in with "kubectl oidc-login", which fails with "unknown command oidc-login"`
		}
		kl.Fix = KubeloginFix(env.GOOS, env.GOARCH)
	}
	return append(out, kl)
}

func version(ctx context.Context, env Env, path string, args ...string) string {
	if env.Output == nil {
		return ""
	}
	out, err := env.Output(ctx, path, args...)
	if err != nil {
		return ""
	}
	return semverish.FindString(out)
}

// Config checks the garden config as gardenctl-v2 reads it and picks the garden (by identity or
// alias, or the only one). What gardenctl refuses the file for fails the check when it is the
// garden's own problem and warns otherwise; what gardenctl warns about, warns.
func Config(loc gardenconfig.Location, want string, env gardenconfig.Env) (Check, *gardenconfig.Config, *gardenconfig.Garden) {
	c := Check{Name: "garden config"}
	cfg, err := gardenconfig.Load(loc.Path)
	switch {
	case errors.Is(err, gardenconfig.ErrNotExist):
		c.Status, c.Detail = Fail, loc.Path+" does not exist"
		c.Fix = "download the garden kubeconfig from the Gardener dashboard (My Account > Access > Kubeconfig), then: kubectl shoot config set-garden <identity> --kubeconfig <path-to-it>"
		return c, nil, nil
	case err != nil:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s: %v", loc.Path, err)
		c.Fix = "fix the file, or move it away and run: kubectl shoot config set-garden <identity> --kubeconfig <path>"
		return c, nil, nil
	case len(cfg.Gardens) == 0:
		c.Status, c.Detail = Fail, loc.Path+" lists no gardens"
		c.Fix = "kubectl shoot config set-garden <identity> --kubeconfig <path-to-garden-kubeconfig>"
		return c, cfg, nil
	}
	g, err := cfg.Select(want)
	if err != nil {
		c.Status, c.Detail, c.Fix = Fail, err.Error(), "pass --garden with one of: "+strings.Join(cfg.Names(), ", ")
		return c, cfg, nil
	}
	own, others := cfg.ProblemsOf(g.Identity)
	if len(own) > 0 {
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("%s: %s; gardenctl and gardenlogin refuse it", loc.Path, own[0]), own[0].Fix
		return c, cfg, nil
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s (garden %s)", loc.Path, g.Identity)
	var notes, fixes []string
	for _, p := range others {
		notes, fixes = append(notes, "gardenctl refuses the file: "+p.String()), append(fixes, p.Fix)
	}
	for _, w := range cfg.Warnings {
		notes, fixes = append(notes, w.String()), append(fixes, w.Fix)
	}
	if name := env.Getenv(gardenconfig.EnvConfigName); hasConfigExt(name) {
		notes = append(notes, fmt.Sprintf("%s=%s names a file with extension; gardenctl adds its own (%s.yaml)", gardenconfig.EnvConfigName, name, name))
		fixes = append(fixes, fmt.Sprintf("export %s=%s", gardenconfig.EnvConfigName, strings.TrimSuffix(name, filepath.Ext(name))))
	}
	if len(notes) > 0 {
		c.Status = Warn
		c.Detail += "; " + strings.Join(notes, "; ")
		c.Fix = strings.Join(fixes, "; ")
	}
	return c, cfg, &g
}

func hasConfigExt(name string) bool {
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// GardenloginConfig checks the file gardenlogin reads, resolved as gardenlogin resolves it: every shoot
// kubeconfig runs gardenlogin, which looks the garden up there by identity.
func GardenloginConfig(env gardenconfig.Env, ourPath string, g gardenconfig.Garden) Check {
	c := Check{Name: "gardenlogin config"}
	v := gardenconfig.SeenByGardenlogin(env, ourPath, g)
	lost := fmt.Sprintf("shoot kubeconfigs fail with \"no garden cluster configured for cluster identity: %s\"", g.Identity)
	addFix := fmt.Sprintf("kubectl shoot config set-garden %s --kubeconfig %s --garden-config %s", g.Identity, quoteArg(gardenconfig.Resolve(g.Kubeconfig, env.Home)), quoteArg(v.File))
	if v.GLHome != "" {
		addFix += fmt.Sprintf(", or export %s=%s", gardenconfig.EnvGardenloginHome, quoteArg(v.GLHome))
	}
	switch {
	case v.Same:
		c.Status, c.Detail = OK, fmt.Sprintf("gardenlogin reads %s too", ourPath)
	case v.File == "":
		c.Status, c.Detail = Fail, "gardenlogin finds no config file: "+lost
		c.Fix = fmt.Sprintf("export %s=%s", gardenconfig.EnvGardenloginHome, quoteArg(v.GLHome))
		if v.GLHome == "" {
			c.Fix = fmt.Sprintf("kubectl shoot config set-garden %s --kubeconfig <path> --garden-config ~/.garden/gardenlogin.yaml", g.Identity)
		}
	case v.Err != nil:
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("gardenlogin reads %s, which it cannot use: %v", v.File, v.Err), "fix that file, or move it away"
	case v.Garden == nil:
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("gardenlogin reads %s, not %s, and it has no garden %s: %s", v.File, ourPath, g.Identity, lost), addFix
	case !v.SameKubeconfig:
		c.Status = Warn
		c.Detail = fmt.Sprintf("gardenlogin reads %s, whose garden %s uses kubeconfig %s (context %q), not %s (context %q)", v.File, g.Identity, v.Garden.Kubeconfig, v.Garden.Context, g.Kubeconfig, g.Context)
		c.Fix = addFix
	default:
		c.Status, c.Detail = OK, fmt.Sprintf("gardenlogin reads %s, which has garden %s with the same kubeconfig", v.File, g.Identity)
	}
	return c
}

// Kubeconfig checks that the garden's kubeconfig path resolves as gardenlogin resolves it, that
// the file is readable and valid, and that its context exists.
func Kubeconfig(env Env, g gardenconfig.Garden) (Check, *Garden) {
	c := Check{Name: "garden kubeconfig"}
	if p := gardenconfig.PathProblem(g.Kubeconfig); p != "" {
		c.Status, c.Detail = Fail, p
		abs := strings.NewReplacer("$HOME", env.Home, "${HOME}", env.Home).Replace(g.Kubeconfig)
		c.Fix = fmt.Sprintf("write the absolute path: kubectl shoot config set-garden %s --kubeconfig %s", g.Identity, quoteArg(abs))
		return c, nil
	}
	path := gardenconfig.Resolve(g.Kubeconfig, env.Home)
	data, err := os.ReadFile(path)
	if err != nil {
		c.Status, c.Detail = Fail, fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))
		c.Fix = "download the garden kubeconfig again from the Gardener dashboard (My Account > Access) to " + path
		return c, nil
	}
	kc, err := clientcmd.Load(data)
	if err != nil {
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("%s is not a valid kubeconfig: %v", path, err), "download it again from the Gardener dashboard"
		return c, nil
	}
	ctxName := g.Context
	if ctxName == "" {
		ctxName = kc.CurrentContext
	}
	if _, ok := kc.Contexts[ctxName]; !ok {
		c.Status = Fail
		c.Detail = fmt.Sprintf("%s has no context %q", path, ctxName)
		c.Fix = fmt.Sprintf("pick one of its contexts: kubectl shoot config set-garden %s --kubeconfig %s --context <name>", g.Identity, quoteArg(path))
		return c, nil
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s (context %s)", path, ctxName)
	return c, &Garden{Identity: g.Identity, KubeconfigPath: path, Context: ctxName, Config: kc}
}

// Exec checks the credential plugin the garden kubeconfig runs, if any, and reports whether it
// is kubelogin (so the kubelogin check becomes mandatory).
func Exec(env Env, g *Garden) (Check, bool) {
	c := Check{Name: "garden login plugin"}
	ctx := g.Config.Contexts[g.Context]
	user := g.Config.AuthInfos[ctx.AuthInfo]
	if user == nil || user.Exec == nil {
		c.Status, c.Detail = OK, "the garden kubeconfig uses no credential plugin"
		return c, false
	}
	cmd := user.Exec.Command
	usesKubelogin := cmd == Kubelogin || (strings.TrimSuffix(baseName(cmd), ".exe") == "kubectl" && len(user.Exec.Args) > 0 && user.Exec.Args[0] == "oidc-login")
	if _, err := env.LookPath(cmd); err != nil {
		c.Status = Fail
		c.Detail = fmt.Sprintf("the garden kubeconfig runs %q, which is not on PATH", cmd)
		c.Fix = user.Exec.InstallHint
		if usesKubelogin || cmd == "kubectl" {
			c.Fix = "install kubectl (https://kubernetes.io/docs/tasks/tools/) and kubelogin: " + KubeloginFix(env.GOOS, env.GOARCH)
		}
		return c, usesKubelogin
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s %s", cmd, strings.Join(firstArgs(user.Exec.Args, 2), " "))
	return c, usesKubelogin
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func firstArgs(a []string, n int) []string {
	if len(a) > n {
		return a[:n]
	}
	return a
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " '\"$`\\;&|") {
		return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
	}
	return s
}
