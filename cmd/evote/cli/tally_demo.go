package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newTallyDemoCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "run a key ceremony, encrypted ballots, batch verification and a threshold decryption",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("tally demo: needs the trustee ceremony")
		},
	}
}
