package doctor

import "fmt"

// GardenloginFix tells how to install gardenlogin on this OS and architecture.
func GardenloginFix(goos, goarch string) string {
	asset := fmt.Sprintf("gardenlogin_%s_%s", goos, goarch)
	switch goos {
	case "darwin":
		return "brew install gardener/tap/gardenlogin   (or download " + releaseURL(asset) + ", chmod +x, move it to /usr/local/bin/gardenlogin and: ln -s /usr/local/bin/gardenlogin /usr/local/bin/kubectl-gardenlogin)"
	case "linux":
		return "brew install gardener/tap/gardenlogin   (or: curl -Lo gardenlogin " + releaseURL(asset) + " && chmod +x gardenlogin && sudo mv gardenlogin /usr/local/bin/ && sudo ln -s /usr/local/bin/gardenlogin /usr/local/bin/kubectl-gardenlogin)"
	case "windows":
		return "choco install gardenlogin   (or download " + releaseURL(asset+".exe") + " and save it as kubectl-gardenlogin.exe in a folder on PATH)"
	}
	return "download " + releaseURL(asset) + " and install it as kubectl-gardenlogin on PATH"
}

func releaseURL(asset string) string {
	return "https://github.com/gardener/gardenlogin/releases/latest/download/" + asset
}

// KubeloginFix tells how to install kubelogin (kubectl oidc-login).
func KubeloginFix(goos, goarch string) string {
	zip := fmt.Sprintf("https://github.com/int128/kubelogin/releases/latest/download/kubelogin_%s_%s.zip", goos, goarch)
	switch goos {
	case "darwin", "linux":
		return "brew install kubelogin   (or: kubectl krew install oidc-login; or unzip " + zip + " and install the binary as kubectl-oidc_login on PATH)"
	case "windows":
		return "choco install kubelogin   (or: kubectl krew install oidc-login; or unzip " + zip + " and save kubelogin.exe as kubectl-oidc_login.exe on PATH)"
	}
	return "kubectl krew install oidc-login   (or install kubelogin from " + zip + " as kubectl-oidc_login)"
}

func linkFix(env Env, path string) string {
	if env.GOOS == "windows" {
		return fmt.Sprintf("copy %q to kubectl-gardenlogin.exe in the same folder", path)
	}
	return fmt.Sprintf("ln -s %s \"$(dirname %s)/kubectl-gardenlogin\"   (use sudo if the folder is not yours)", path, path)
}
