package gardenconfig

import (
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
)

// GardenloginView is what gardenlogin sees of a garden: the file it reads (GardenloginFile)
// and the entry it takes from it (gardenlogin Config.FindGarden: by identity only).
type GardenloginView struct {
	File   string  // "" when gardenlogin finds no config file
	Same   bool    // File is the garden config this tool reads and edits
	Garden *Garden // the garden with the identity in File, nil if none
	Err    error   // File exists but cannot be read as a garden config
	// SameKubeconfig: Garden's kubeconfig and context are those of the garden in our config.
	SameKubeconfig bool
	// GLHome, when set, is a GL_HOME under which gardenlogin would read our file.
	GLHome string
}

// SeenByGardenlogin resolves gardenlogin's file as gardenlogin does and looks up the garden
// there; ours is the garden as this tool's config has it.
func SeenByGardenlogin(env Env, ourPath string, ours Garden) GardenloginView {
	v := GardenloginView{File: GardenloginFile(env)}
	v.Same = v.File != "" && sameFile(v.File, ourPath)
	if !v.Same {
		v.GLHome = glHomeFor(env, ourPath)
	}
	if v.File == "" {
		return v
	}
	cfg, err := Load(v.File)
	if err != nil {
		v.Err = err
		return v
	}
	if g, ok := cfg.FindIdentity(ours.Identity); ok {
		v.Garden = &g
		theirs, mine := Resolve(g.Kubeconfig, env.Home), Resolve(ours.Kubeconfig, env.Home)
		v.SameKubeconfig = sameFile(theirs, mine) && effectiveContext(theirs, g.Context) == effectiveContext(mine, ours.Context)
	}
	return v
}

// glHomeFor returns the directory of path when GL_HOME set to it makes gardenlogin read path.
func glHomeFor(env Env, path string) string {
	dir := filepath.Dir(path)
	get := env.Getenv
	env.Getenv = func(k string) string {
		if k == EnvGardenloginHome {
			return dir
		}
		return get(k)
	}
	if f := GardenloginFile(env); f != "" && sameFile(f, path) {
		return dir
	}
	return ""
}

// effectiveContext is the context a garden entry uses: its own, else the kubeconfig's current one.
func effectiveContext(kubeconfig, context string) string {
	if context != "" {
		return context
	}
	if kc, err := clientcmd.LoadFromFile(kubeconfig); err == nil {
		return kc.CurrentContext
	}
	return ""
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ea, errA := filepath.EvalSymlinks(a)
	eb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ea == eb
}
