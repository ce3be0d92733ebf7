package cmd

import (
	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// verdictFlags are the flags of every command that prints a verdict: -o and --require.
type verdictFlags struct {
	out     output.Flags
	Require string

	format  output.Format
	require tee.Requirement
}

func (v *verdictFlags) addFlags(cmd *cobra.Command) {
	v.out.AddFlags(cmd)
	cmd.Flags().StringVar(&v.Require, "require", "", "demand a TEE: snp, tdx, se, sgx, nvidia-cc or any (a node without it is not ready)")
	_ = cmd.RegisterFlagCompletionFunc("require", cobra.FixedCompletions([]string{"snp", "tdx", "se", "sgx", "nvidia-cc", "any"}, cobra.ShellCompDirectiveNoFileComp))
}

func (v *verdictFlags) complete() error {
	var err error
	if v.format, err = v.out.Format(); err != nil {
		return clierr.Usagef(output.FormatFix, "%v", err)
	}
	if v.require, err = tee.ParseRequirement(v.Require); err != nil {
		return clierr.Usagef("e.g. --require snp", "%v", err)
	}
	return nil
}
