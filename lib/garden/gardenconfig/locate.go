package gardenconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Environment variables and defaults of gardenctl-v2 (pkg/cmd/cmd.go) and gardenlogin (cmd/root.go).
const (
	EnvHome       = "GCTL_HOME"        // gardenctl: directory searched first
	EnvConfigName = "GCTL_CONFIG_NAME" // gardenctl: file name without extension
	DefaultName   = "gardenctl-v2"
	HomeFolder    = ".garden"

	EnvGardenloginHome       = "GL_HOME"
	EnvGardenloginConfigName = "GL_CONFIG_NAME"
	GardenloginName          = "gardenlogin"
)

// viperExts are the extensions viper v1.21 (spf13/viper SupportedExts) tries, in its order, for
// a config name: both tools find their file through viper.
var viperExts = []string{"json", "toml", "yaml", "yml", "properties", "props", "prop", "hcl", "tfvars", "dotenv", "env", "ini"}

// Location says where the config is read from and written to.
type Location struct {
	// Path is the config file (it may not exist yet).
	Path string
	// Dir is the garden home directory: $GCTL_HOME or ~/.garden. Shoot kubeconfigs go here.
	Dir string
	// Exists tells whether Path was found.
	Exists bool
}

// Env is what the search reads from the environment.
type Env struct {
	Getenv func(string) string
	Home   string // the user's home directory
	Cwd    string // relative search directories are taken from here, as viper does
}

// Locate finds the config as gardenctl-v2's initConfig does: an explicit file wins; otherwise the
// name $GCTL_CONFIG_NAME (default gardenctl-v2, without extension) is searched with viper's
// extensions in $GCTL_HOME, then ~/.garden. When none exists, a new one is
// <$GCTL_HOME or ~/.garden>/<name>.yaml. The garden home is $GCTL_HOME, else ~/.garden.
func Locate(explicit string, env Env) Location {
	dir := filepath.Join(env.Home, HomeFolder)
	if h := env.Getenv(EnvHome); h != "" {
		dir = ExpandTilde(h, env.Home)
	}
	if explicit != "" {
		p := ExpandTilde(explicit, env.Home)
		if !filepath.IsAbs(p) && env.Cwd != "" {
			p = filepath.Join(env.Cwd, p)
		}
		_, err := os.Stat(p)
		return Location{Path: p, Dir: dir, Exists: err == nil}
	}
	name := env.Getenv(EnvConfigName)
	if name == "" {
		name = DefaultName
	}
	dirs := env.searchPath(env.Getenv(EnvHome), filepath.Join(env.Home, HomeFolder))
	if found := viperSearch(dirs, name); found != "" {
		return Location{Path: found, Dir: dir, Exists: true}
	}
	return Location{Path: filepath.Join(dir, name+".yaml"), Dir: dir}
}

// GardenloginFile is the file gardenlogin reads its gardens from (gardenlogin cmd/root.go
// initConfig and readInConfig): name $GL_CONFIG_NAME (default gardenlogin) in $GL_HOME, then
// ~/.garden; only when none is found, name $GCTL_CONFIG_NAME (default gardenctl-v2) in
// $GL_HOME, ~/.garden, then $GCTL_HOME (viper appends the paths and keeps the first of each).
// It returns "" when gardenlogin finds no file.
func GardenloginFile(env Env) string {
	home := filepath.Join(env.Home, HomeFolder)
	name := env.Getenv(EnvGardenloginConfigName)
	if name == "" {
		name = GardenloginName
	}
	glHome := env.Getenv(EnvGardenloginHome)
	if found := viperSearch(env.searchPath(glHome, home), name); found != "" {
		return found
	}
	name = env.Getenv(EnvConfigName)
	if name == "" {
		name = DefaultName
	}
	return viperSearch(env.searchPath(glHome, home, env.Getenv(EnvHome)), name)
}

// searchPath is viper's AddConfigPath applied in order: "~" expanded (go-homedir), "$HOME" and
// other variables expanded, relative paths made absolute, empty and repeated paths skipped.
func (env Env) searchPath(dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		d = ExpandTilde(d, env.Home)
		if d == "$HOME" || strings.HasPrefix(d, "$HOME"+string(os.PathSeparator)) {
			d = env.Home + d[len("$HOME"):]
		}
		d = os.Expand(d, env.Getenv)
		if !filepath.IsAbs(d) {
			d = filepath.Join(env.Cwd, d)
		}
		d = filepath.Clean(d)
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// viperSearch returns the first dir/name.ext that is a file, directory by directory.
func viperSearch(dirs []string, name string) string {
	for _, d := range dirs {
		for _, ext := range viperExts {
			p := filepath.Join(d, name+"."+ext)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
	}
	return ""
}

// OSEnv is the process's environment.
func OSEnv() Env {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	cwd, _ := os.Getwd()
	return Env{Getenv: os.Getenv, Home: home, Cwd: cwd}
}
