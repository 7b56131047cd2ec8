package cli

import "github.com/spf13/cobra"

func newTallyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "tally", Short: "the cryptographic core: walkthroughs and checks"}
	cmd.AddCommand(newTallyDemoCmd(e))
	return cmd
}
