package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// The test binary plays both programs, by the name it is run as: kubectl-fake (a plugin with
// an entry that fake-helper runs) and fake-helper (which prints what it was given).
func TestMain(m *testing.M) {
	switch strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") {
	case "kubectl-fake":
		streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
		os.Exit(Execute(fakePluginRoot(streams), streams))
	case "fake-helper":
		fmt.Printf("helper ran with %q\n", os.Args[1:])
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func fakePluginRoot(streams genericiooptions.IOStreams) *cobra.Command {
	root, _ := NewRoot("fake", "s", "l", streams)
	group := &cobra.Command{Use: "group", Short: "a group"}
	group.AddCommand(Helped("fake-helper", "heavy", "a command the helper runs"), &cobra.Command{Use: "light", Run: func(*cobra.Command, []string) {}})
	list := &cobra.Command{Use: "list", Short: "lists", Run: func(*cobra.Command, []string) {}}
	list.Flags().StringP("shoots", "x", "", "")
	list.Flags().StringP("selector", "l", "", "")
	list.Flags().BoolP("wide", "w", false, "")
	HelpedWhen(list, "fake-helper", "shoots")
	root.AddCommand(Helped("fake-helper", "install", "installs"), group, list)
	return root
}

func TestHelperFor(t *testing.T) {
	root := fakePluginRoot(genericiooptions.NewTestIOStreamsDiscard())
	for args, want := range map[string]string{
		"install":                        "fake-helper",
		"install --set a=b":              "fake-helper",
		"--context x -n y install":       "fake-helper",
		"install --help":                 "fake-helper",
		"help install":                   "fake-helper",
		"__complete install --se":        "fake-helper",
		"__completeNoDesc group heavy -": "fake-helper",
		"group heavy":                    "fake-helper",
		"group light":                    "",
		"group":                          "",
		"__complete inst":                "",
		"__complete group ":              "",
		"version":                        "",
		"":                               "",
		"nosuch":                         "",
		"list":                           "",
		"list -l a=b -w":                 "",
		"list --shoots all":              "fake-helper",
		"list --shoots=all -w":           "fake-helper",
		"-n x list -x all":               "fake-helper",
		"list -wx all":                   "fake-helper",
		"list -lxy":                      "", // -l takes the rest of the word: "xy"
		"list -- --shoots":               "",
		"list --selector shoots":         "",
		"__complete list --sh":           "",
		"list -l --shoots":               "", // --shoots is -l's value
		"list --selector --shoots":       "",
		"list --selector=a --shoots x":   "fake-helper",
		"list -wl --shoots":              "",
		"-n x help install":              "fake-helper",
		"help group heavy":               "fake-helper",
		"help group light":               "",
	} {
		if got := helperFor(root, strings.Fields(args)); got != want {
			t.Errorf("%q: helper %q, want %q", args, got, want)
		}
	}
	// completions, whose last word is the one being completed ("" after a space)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "list", "--shoots", ""}, "fake-helper"},
		{[]string{"__complete", "list", "-x", ""}, "fake-helper"},
		{[]string{"__complete", "list", "-l", ""}, ""},
		{[]string{"__complete", "-n", ""}, ""},
		{[]string{"__complete", "-n", "x", "install", ""}, "fake-helper"},
		{[]string{"__complete", ""}, ""},
	} {
		if got := helperFor(root, c.args); got != c.want {
			t.Errorf("%q: helper %q, want %q", c.args, got, c.want)
		}
	}
	// a root whose global flag's values only the helper knows (kubectl shoot --garden)
	root.PersistentFlags().StringP("garden", "g", "", "")
	HelpedWhen(root, "fake-helper", "garden")
	for args, want := range map[string]string{
		"__complete --garden ":   "fake-helper",
		"__complete -g ":         "fake-helper",
		"__complete -n x ":       "",
		"--garden x":             "fake-helper",
		"--garden x version":     "",
		"--garden x list -l a=b": "",
		"--garden x install":     "fake-helper",
	} {
		args := strings.Split(args, " ")
		if got := helperFor(root, args); got != want {
			t.Errorf("%q: helper %q, want %q", args, got, want)
		}
	}
}

func TestProvideHelped(t *testing.T) {
	root := fakePluginRoot(genericiooptions.NewTestIOStreamsDiscard())
	if got := HelpedCommands(root); len(got) != 3 || got["kubectl fake install"] != "fake-helper" || got["kubectl fake group heavy"] != "fake-helper" || got["kubectl fake list"] != "fake-helper" {
		t.Fatalf("helped: %v", got)
	}
	ProvideHelped(root, &cobra.Command{Use: "install", Short: "installs"})
	ProvideHelped(root, &cobra.Command{Use: "list", Short: "lists"})
	if got := HelpedCommands(root); len(got) != 1 {
		t.Fatalf("after providing install: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("providing a command the tree has no entry for did not panic")
		}
	}()
	ProvideHelped(root, &cobra.Command{Use: "nosuch"})
}

// The stand-in entry is never run by Execute; called directly, it says where the command runs.
func TestHelpedEntryRunAlone(t *testing.T) {
	var out, errOut bytes.Buffer
	root := fakePluginRoot(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"install"})
	root.SetErr(io.Discard)
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "runs in fake-helper") {
		t.Fatalf("err %v", err)
	}
}

// The plugin hands the whole command line to the helper beside it (links resolved, as Krew
// links the plugin from its store), and exits with the helper's code; without the helper it
// fails and says how to mend the installation.
func TestForwardToHelperBesideThePlugin(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	store, bin := t.TempDir(), t.TempDir()
	plugin := filepath.Join(store, "kubectl-fake"+exe)
	if err := os.WriteFile(plugin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(bin, "kubectl-fake"+exe)
	if err := os.Symlink(plugin, link); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(link, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if e, ok := err.(*exec.ExitError); ok {
			code = e.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("install", "--set", "a=b")
	if code != 1 || out != "" || !strings.Contains(errOut, "runs in fake-helper, which is missing beside kubectl-fake (in "+store+")") ||
		!strings.Contains(errOut, "kubectl krew uninstall fake && kubectl krew install fake") {
		t.Fatalf("without the helper: exit %d, out %q, err %q", code, out, errOut)
	}
	if err := os.WriteFile(filepath.Join(store, "fake-helper"+exe), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{
		"install --set a=b":     `["install" "--set" "a=b"]`,
		"-n x group heavy":      `["-n" "x" "group" "heavy"]`,
		"help install":          `["help" "install"]`,
		"__complete install --": `["__complete" "install" "--"]`,
	} {
		code, out, errOut = run(strings.Fields(args)...)
		if code != 3 || out != "helper ran with "+want+"\n" || errOut != "" {
			t.Errorf("%s: exit %d, out %q, err %q", args, code, out, errOut)
		}
	}
	if code, out, errOut = run("list", "--shoots", "all"); code != 3 || out != `helper ran with ["list" "--shoots" "all"]`+"\n" || errOut != "" {
		t.Errorf("list --shoots: exit %d, out %q, err %q", code, out, errOut)
	}
	if code, out, _ = run("list", "-w"); code != 0 || out != "" {
		t.Errorf("list without --shoots went to the helper: exit %d, out %q", code, out)
	}
	if code, out, _ = run("group", "light"); code != 0 || out != "" {
		t.Errorf("a command of the plugin's own went to the helper: exit %d, out %q", code, out)
	}
}
