// Package clitest runs a command's Options (Complete, Validate, Run) in a test, with the
// command's Globals on buffers, as cli.RunE and the root command would.
package clitest

import (
	"bytes"
	"context"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// Streams are the buffers a test command writes to.
type Streams struct {
	Out, ErrOut bytes.Buffer
}

// Globals returns uncoloured Globals for plugin writing to s.
func Globals(plugin string, s *Streams) *cli.Globals {
	return &cli.Globals{Plugin: plugin, ConfigFlags: kube.NewConfigFlags(), Color: output.ColorNever,
		Streams: genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &s.Out, ErrOut: &s.ErrOut}}
}

// Run runs the three steps with args, prints an error as the root command does, and returns
// the exit code the plugin would exit with.
func Run(c cli.Command, s *Streams, args ...string) int {
	err := c.Complete(args)
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		err = c.Run(context.Background())
	}
	if err != nil {
		clierr.Print(&s.ErrOut, err)
	}
	return clierr.ExitCode(err)
}
