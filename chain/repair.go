package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
)

// `evote node repair`: what can be rebuilt of a stopped node's home is
// rebuilt, and nothing that makes the node who it is, or remembers what it
// signed, is touched: config/node_key.json, config/priv_validator_key.json
// and data/priv_validator_state.json stay as they are, so that a validator
// never signs twice at one height. What is replaced is moved aside, never
// deleted, into data/damaged-TIME/ for inspection.

// ErrNoPeers means a repair from peers was asked of a home that names
// none (config.toml's persistent_peers and seeds are empty).
var ErrNoPeers = errors.New("chain: the node has no peers to sync from")

// RepairOptions configure Repair.
type RepairOptions struct {
	// FromPeers moves CometBFT's databases, its consensus log and the
	// SQLite store aside, for the node to fetch every block again from its
	// peers (block sync) at its next start. Without it, only the SQLite
	// store is moved aside and rebuilt from the node's own block store,
	// which must be whole.
	FromPeers bool
	// Node are the options of the node that replays the blocks (without
	// FromPeers); NewMachine is required then.
	Node Options
	// Now names the directory the files are moved to; zero means now.
	Now time.Time
}

// RepairReport says what Repair did.
type RepairReport struct {
	Aside string   // the directory the files were moved to
	Moved []string // the files and directories moved there, relative to data/
	Kept  []string // what was left in place on purpose: the keys and the validator's last-sign state
	// Replayed, Height and AppHash: the store rebuilt from the block store
	// (without FromPeers), its height and app hash, which CometBFT's
	// handshake compared with each replayed block's header and with its
	// state, and Repair with the next header when the block store has it.
	Replayed bool
	Height   int64
	AppHash  []byte
	Checked  []string // what the rebuilt app hash was found equal to
}

// Repair repairs the stopped node home of conf (read as NewNode reads it).
// It refuses a home in use (ErrHomeInUse), and damage it cannot repair:
// a key or the validator's last-sign state (ErrKeyDamaged,
// ErrValidatorStateDamaged); without FromPeers, a block store or CometBFT
// state that is damaged or does not reach back to block 1
// (ErrBlockStoreDamaged, ErrCometStateDamaged: repair from peers); with
// FromPeers, a home with no peers (ErrNoPeers).
func Repair(conf *cfg.Config, o RepairOptions) (*RepairReport, error) {
	if conf == nil || conf.RootDir == "" {
		return nil, errors.New("chain: Repair: no configuration, or one without its home (RootDir)")
	}
	if !o.FromPeers && o.Node.NewMachine == nil {
		return nil, errors.New("chain: Repair: Options.NewMachine is nil")
	}
	home := conf.RootDir
	lock, err := lockHome(home)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	if _, err := p2p.LoadNodeKey(conf.NodeKeyFile()); err != nil {
		return nil, damaged(ErrKeyDamaged, conf.NodeKeyFile(), "the node key cannot be read", repairKey(conf.NodeKeyFile()), err)
	}
	if err := surveyValidator(conf); err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := &RepairReport{
		Aside: filepath.Join(conf.DBDir(), "damaged-"+o.Now.UTC().Format("20060102T150405Z")),
		Kept:  []string{conf.NodeKeyFile(), conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()},
	}
	if o.FromPeers {
		if strings.TrimSpace(conf.P2P.PersistentPeers) == "" && strings.TrimSpace(conf.P2P.Seeds) == "" {
			return nil, fmt.Errorf("%w: %s names no persistent peers and no seeds; add the members' nodes (evote node join) first",
				ErrNoPeers, filepath.Join(home, "config", "config.toml"))
		}
		// CometBFT's databases, its consensus log, the store.
		if err := r.moveAside(conf.DBDir(), func(name string) bool {
			switch name {
			case "blockstore.db", "state.db", "evidence.db", "tx_index.db", "cs.wal":
				return true
			}
			return isStoreFile(name)
		}); err != nil {
			return r, err
		}
		return r, nil
	}

	// Rebuild from the node's own blocks: they must all be there.
	base, bsHeight, stHeight, err := surveyComet(conf, true)
	if err != nil {
		return nil, err
	}
	switch {
	case stHeight > bsHeight || bsHeight > stHeight+1:
		return nil, damaged(ErrBlockStoreDamaged, filepath.Join(conf.DBDir(), "blockstore.db"),
			fmt.Sprintf("it ends at block %d while CometBFT's state is at block %d", bsHeight, stHeight), repairFromPeers(home), nil)
	case base > 1:
		return nil, damaged(ErrBlockStoreDamaged, filepath.Join(conf.DBDir(), "blockstore.db"),
			fmt.Sprintf("it starts at block %d: the blocks before it, which a rebuilt store needs, are gone", base), repairFromPeers(home), nil)
	}
	if err := r.moveAside(conf.DBDir(), isStoreFile); err != nil {
		return r, err
	}
	lock.release()

	// The handshake of a new node replays every block into a new store.
	n, err := NewNode(conf, o.Node)
	if err != nil {
		return r, fmt.Errorf("chain: replay the blocks into a new store (the old one is in %s): %w", r.Aside, err)
	}
	defer n.Stop()
	m, err := n.app.store.Meta()
	if err != nil {
		return r, err
	}
	r.Replayed, r.Height, r.AppHash = true, m.Height, m.AppHash
	if m.Height != bsHeight {
		return r, fmt.Errorf("chain: the replay reached block %d, the block store ends at %d", m.Height, bsHeight)
	}
	var want []SignedAppHash
	if meta := n.cmt.BlockStore().LoadBlockMeta(m.Height + 1); meta != nil {
		want = append(want, SignedAppHash{Hash: meta.Header.AppHash,
			Source: fmt.Sprintf("the header of block %d, which the validators signed", m.Height+1)})
	}
	if _, err := n.app.store.CheckState(context.Background(), filepath.Join(conf.DBDir(), StoreFile), want...); err != nil {
		return r, err
	}
	// CometBFT's handshake compared the app hash after each replayed
	// block with the next block's header, and the last with its state
	// (it panics otherwise: NewNode's error above).
	r.Checked = append(r.Checked, fmt.Sprintf("the header of each replayed block and CometBFT's state after block %d (the handshake's checks)", m.Height))
	for _, w := range want {
		if bytes.Equal(w.Hash, m.AppHash) {
			r.Checked = append(r.Checked, w.Source)
		}
	}
	return r, n.Stop()
}

// isStoreFile says whether name is the SQLite store or one of its files
// (evote.db, evote.db-wal, evote.db-shm, evote.db-journal).
func isStoreFile(name string) bool {
	return name == StoreFile || strings.HasPrefix(name, StoreFile+"-")
}

// moveAside moves the entries of dir that move names into r.Aside.
func (r *RepairReport) moveAside(dir string, move func(name string) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("chain: repair: %w", err)
	}
	for _, e := range entries {
		if !move(e.Name()) {
			continue
		}
		if err := os.MkdirAll(r.Aside, 0o700); err != nil {
			return fmt.Errorf("chain: repair: %w", err)
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(r.Aside, e.Name())); err != nil {
			return fmt.Errorf("chain: repair: move %s aside: %w", e.Name(), err)
		}
		r.Moved = append(r.Moved, e.Name())
	}
	return nil
}
