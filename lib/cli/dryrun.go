package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// DryRun is --dry-run as kubectl takes it: none (the default), client or server; the flag alone
// means client, and kubectl's old true/false are taken too.
type DryRun string

const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

func (d *DryRun) String() string {
	if *d == "" {
		return string(DryRunNone)
	}
	return string(*d)
}

// Set parses a value; a bad one is a flag error (exit 2).
func (d *DryRun) Set(s string) error {
	switch s {
	case "none", "false":
		*d = DryRunNone
	case "client", "true":
		*d = DryRunClient
	case "server":
		*d = DryRunServer
	default:
		return fmt.Errorf("invalid --dry-run %q: use none, client or server", s)
	}
	return nil
}

// Type names the value in --help.
func (d *DryRun) Type() string { return "string" }

// On says whether anything is to be left unchanged.
func (d DryRun) On() bool { return d == DryRunClient || d == DryRunServer }

// AddDryRunFlag declares --dry-run[=none|client|server] on fs.
func AddDryRunFlag(fs *pflag.FlagSet, d *DryRun, usage string) {
	if *d == "" {
		*d = DryRunNone
	}
	fs.Var(d, "dry-run", usage)
	fs.Lookup("dry-run").NoOptDefVal = string(DryRunClient)
}

// ClientOnly refuses --dry-run=server for what has no server-side dry run (a KBS, a file, a Helm
// release): the one check every command makes in Validate.
func (d DryRun) ClientOnly() error {
	if d == DryRunServer {
		return clierr.Usagef("use --dry-run (client side)", "--dry-run=server: what this command changes has no server-side dry run")
	}
	return nil
}
