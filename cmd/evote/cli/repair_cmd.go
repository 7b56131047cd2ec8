package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
)

// exitDamaged is the exit code of a node that refuses to start on a
// damaged or altered home: a restart cannot help, a repair can
// (docs/operations.md, "Damaged files").
const exitDamaged = 5

// damagedExit gives a start refused for a damaged or altered home its
// exit code.
func damagedExit(err error) error {
	if errors.Is(err, chain.ErrDamaged) || errors.Is(err, chain.ErrStateAltered) {
		return &exitError{code: exitDamaged, err: err}
	}
	return err
}

func newNodeRepairCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "rebuild a stopped node's state from its own blocks, or ready it to sync again from its peers (--from-peers)",
		Long: `repair rebuilds what can be rebuilt of a stopped node's home (--home), and never touches its keys
(config/node_key.json, config/priv_validator_key.json) nor data/priv_validator_state.json, the
validator's record of what it signed, so that the validator never signs twice at one height.
Whatever it replaces it moves into HOME/data/damaged-TIME/ for inspection; it deletes nothing.

Without --from-peers (the SQLite store damaged or altered; the block store whole): it checks every
record of CometBFT's block store and state, moves data/evote.db aside and replays the node's own
blocks into a new store, each block's resulting app hash compared with the next header the
validators signed. Then start the node as usual.

With --from-peers (the block store or CometBFT's state damaged): it moves data/blockstore.db,
state.db, evidence.db, cs.wal and evote.db aside; at its next start the node fetches every block
again from its peers (block sync) and re-executes them.

It refuses to run while the node runs (the home's lock, data/evote.lock).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			home := e.v.GetString("home")
			conf, err := cometconf.Load(home)
			if err != nil {
				return err
			}
			logFile, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return err
			}
			defer logFile.Close()
			fromPeers := e.v.GetBool("from-peers")
			r, err := chain.Repair(conf, chain.RepairOptions{FromPeers: fromPeers,
				Node: chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: logFile, LogLevel: "error"}})
			if r != nil && len(r.Moved) > 0 {
				fmt.Fprintf(e.stdout, "moved to %s:\n", r.Aside)
				for _, m := range r.Moved {
					fmt.Fprintf(e.stdout, "  data/%s\n", m)
				}
			}
			if err != nil {
				return err
			}
			if len(r.Moved) == 0 {
				fmt.Fprintln(e.stdout, "nothing to move")
			}
			fmt.Fprintln(e.stdout, "kept, untouched:")
			for _, k := range r.Kept {
				fmt.Fprintf(e.stdout, "  %s\n", k)
			}
			if r.Replayed {
				fmt.Fprintf(e.stdout, "rebuilt data/%s from the node's own blocks: height %d, app hash %X\n", chain.StoreFile, r.Height, r.AppHash)
				for _, c := range r.Checked {
					fmt.Fprintf(e.stdout, "  equal to %s\n", c)
				}
				fmt.Fprintf(e.stdout, "next: start the node (evote node --home %s); it catches up with its peers from block %d\n", home, r.Height)
				return nil
			}
			fmt.Fprintf(e.stdout, "next: start the node (evote node --home %s); it fetches every block again from its peers (block sync) and re-executes them, "+
				"which takes a while on a long chain; /readyz answers 503 until it has caught up\n", home)
			return nil
		},
	}
	cmd.Flags().Bool("from-peers", false, "the block store or CometBFT's state is damaged: move them aside with the store, to sync again from the peers")
	return cmd
}
