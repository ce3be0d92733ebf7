// Package shellenv prints the line that sets KUBECONFIG in the user's shell, quoted so that any
// path (spaces, quotes, $, backticks, ;) is taken literally.
package shellenv

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Shells supported by "kubectl shoot use".
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// Detect guesses the shell from $SHELL (and PSModulePath on Windows).
func Detect(shellEnv, goos string, psModulePath string) string {
	if goos == "windows" && shellEnv == "" {
		return "powershell"
	}
	switch b := strings.TrimSuffix(filepath.Base(shellEnv), ".exe"); b {
	case "zsh", "fish", "bash":
		return b
	case "pwsh", "powershell":
		return "powershell"
	}
	if psModulePath != "" && shellEnv == "" {
		return "powershell"
	}
	return "bash"
}

// Export returns the command that sets name to value in shell.
func Export(shell, name, value string) (string, error) {
	switch shell {
	case "bash", "zsh", "sh":
		return fmt.Sprintf("export %s=%s", name, posixQuote(value)), nil
	case "fish":
		return fmt.Sprintf("set -gx %s %s", name, fishQuote(value)), nil
	case "powershell", "pwsh":
		return fmt.Sprintf("$env:%s = %s", name, psQuote(value)), nil
	}
	return "", fmt.Errorf("unknown shell %q: use one of %s", shell, strings.Join(Shells, ", "))
}

// posixQuote wraps in single quotes; each single quote inside closes the string, adds an
// escaped quote and reopens it.
func posixQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote: inside single quotes fish treats only \\ and \' specially.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// psQuote: PowerShell single-quoted strings are literal; a quote is doubled. Typographic single
// quotes also end such strings in PowerShell, so they are doubled too.
func psQuote(s string) string {
	r := strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019", "\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b")
	return "'" + r.Replace(s) + "'"
}
