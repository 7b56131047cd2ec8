package chain

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	sm "github.com/cometbft/cometbft/state"
	cmtstore "github.com/cometbft/cometbft/store"
	"github.com/mattn/go-sqlite3"
)

// The start-up survey: before NewNode opens anything for good, it reads
// each file of the home that a damaged disk, a crash of the machine or a
// hand can spoil, and turns what CometBFT would otherwise meet as a panic
// (its block store panics on a read error) or a bare error into a
// *DamagedError naming the file, what is wrong and the repair.

// ErrDamaged means a file of the node's home cannot be used as it is. The
// error is a *DamagedError; errors.Is also matches its kind, one of the
// errors below.
var ErrDamaged = errors.New("chain: a file of the node's home is damaged")

// The kinds of damage, each with its repair (docs/operations.md, "Damaged
// files").
var (
	// ErrStoreDamaged: the SQLite store data/evote.db cannot be read (not
	// a database, truncated, malformed). Repair: `evote node repair`.
	ErrStoreDamaged = errors.New("chain: the SQLite store is damaged")
	// ErrBlockStoreDamaged: CometBFT's block store data/blockstore.db
	// cannot be read, or lacks blocks the node's state needs. Repair:
	// `evote node repair --from-peers`.
	ErrBlockStoreDamaged = errors.New("chain: the block store is damaged")
	// ErrCometStateDamaged: CometBFT's state data/state.db cannot be read,
	// or disagrees with the block store. Repair: `evote node repair
	// --from-peers`.
	ErrCometStateDamaged = errors.New("chain: CometBFT's state is damaged")
	// ErrValidatorStateDamaged: data/priv_validator_state.json, the
	// validator's record of the last height, round and step it signed, is
	// missing or unreadable. No command rewrites it: a guess could make
	// the validator sign twice at one height.
	ErrValidatorStateDamaged = errors.New("chain: the validator's last-sign state is damaged")
	// ErrKeyDamaged: config/node_key.json or config/priv_validator_key.json
	// is missing or unreadable. Only the owner's backup restores a key.
	ErrKeyDamaged = errors.New("chain: a key of the node is damaged")
)

// DamagedError says which file is damaged, how, and what repairs it.
type DamagedError struct {
	Kind    error  // ErrStoreDamaged, ErrBlockStoreDamaged, ...
	File    string // the damaged file or directory
	Problem string // what is wrong, one sentence
	Repair  string // what the operator does, one sentence
	Err     error  // the underlying error, if any
}

func (e *DamagedError) Error() string {
	s := fmt.Sprintf("chain: %s is damaged: %s", e.File, e.Problem)
	if e.Err != nil {
		s += fmt.Sprintf(" (%v)", e.Err)
	}
	return s + ". The node does not start on it. " + e.Repair
}

// Is makes errors.Is(err, ErrDamaged) and errors.Is(err, e.Kind) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged || target == e.Kind }

func (e *DamagedError) Unwrap() error { return e.Err }

// The repairs, as the errors state them.
func repairStore(home string) string {
	return fmt.Sprintf("Rebuild the store from the node's own blocks: stop the node if it runs, then `evote node repair --home %s`; it moves the store aside and replays the blocks (docs/operations.md, \"Damaged files\")", home)
}

func repairFromPeers(home string) string {
	return fmt.Sprintf("Sync the node again from its peers: stop the node if it runs, then `evote node repair --home %s --from-peers`; it moves CometBFT's databases, its consensus log and the store aside, keeps the keys and the validator's last-sign state, and the next start fetches the blocks from the peers (docs/operations.md, \"Damaged files\")", home)
}

func repairValidatorState(file string) string {
	return fmt.Sprintf("Restore %s from a backup. No command rewrites it: it is the validator's only memory of what it signed, and a wrong one can make it sign two blocks at one height. Without a backup, follow docs/operations.md, \"Damaged files\", which says how to write a safe one by hand", file)
}

func repairKey(file string) string {
	return fmt.Sprintf("Restore %s from the owner's backup. A new key would be another node: its card would no longer match the one the network's genesis or peers name (docs/operations.md, \"Damaged files\")", file)
}

func damaged(kind error, file, problem, repair string, err error) *DamagedError {
	return &DamagedError{Kind: kind, File: file, Problem: problem, Repair: repair, Err: err}
}

// surveyHome checks, in order, the node key, the validator key and its
// last-sign state, the SQLite store, and CometBFT's block store and state
// and how their heights fit together. The first damage found is a
// *DamagedError. It reads each file as the start would: of the block
// store, the blocks the start reads (Repair reads every record).
func surveyHome(conf *cfg.Config) error {
	home := conf.RootDir
	if _, err := p2p.LoadNodeKey(conf.NodeKeyFile()); err != nil {
		return damaged(ErrKeyDamaged, conf.NodeKeyFile(), "the node key cannot be read", repairKey(conf.NodeKeyFile()), err)
	}
	if err := surveyValidator(conf); err != nil {
		return err
	}
	storePath := filepath.Join(conf.DBDir(), StoreFile)
	appHeight, err := surveyStore(home, storePath)
	if err != nil {
		return err
	}
	_, bsHeight, stHeight, err := surveyComet(conf, false)
	if err != nil {
		return err
	}
	bsFile := filepath.Join(conf.DBDir(), "blockstore.db")
	stFile := filepath.Join(conf.DBDir(), "state.db")
	// The heights CometBFT's handshake requires (it panics otherwise).
	switch {
	case stHeight > bsHeight:
		return damaged(ErrBlockStoreDamaged, bsFile, fmt.Sprintf("it ends at block %d, while CometBFT's state (%s) is at block %d: blocks are missing", bsHeight, stFile, stHeight),
			repairFromPeers(home), nil)
	case bsHeight > stHeight+1:
		return damaged(ErrCometStateDamaged, stFile, fmt.Sprintf("it is at block %d, while the block store (%s) ends at block %d: CometBFT's state went back", stHeight, bsFile, bsHeight),
			repairFromPeers(home), nil)
	case appHeight > bsHeight:
		return damaged(ErrBlockStoreDamaged, bsFile, fmt.Sprintf("it ends at block %d, while the SQLite store (%s) committed block %d: blocks are missing", bsHeight, storePath, appHeight),
			repairFromPeers(home), nil)
	}
	return nil
}

func surveyValidator(conf *cfg.Config) error {
	keyFile, stateFile := conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()
	keyJSON, err := os.ReadFile(keyFile)
	if err != nil {
		return damaged(ErrKeyDamaged, keyFile, "the validator key cannot be read", repairKey(keyFile), err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(keyJSON, &key); err != nil {
		return damaged(ErrKeyDamaged, keyFile, "the validator key is not a key file", repairKey(keyFile), err)
	}
	if key.PrivKey == nil || key.PubKey == nil || !key.PrivKey.PubKey().Equals(key.PubKey) {
		return damaged(ErrKeyDamaged, keyFile, "the validator key file holds no key, or a private key that does not match its public key", repairKey(keyFile), nil)
	}
	stateJSON, err := os.ReadFile(stateFile)
	if err != nil {
		return damaged(ErrValidatorStateDamaged, stateFile, "the validator's last-sign state cannot be read", repairValidatorState(stateFile), err)
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(stateJSON, &st); err != nil {
		return damaged(ErrValidatorStateDamaged, stateFile, "the validator's last-sign state is not a last-sign state file", repairValidatorState(stateFile), err)
	}
	if st.Height < 0 || st.Round < 0 || (len(st.SignBytes) > 0) != (len(st.Signature) > 0) {
		return damaged(ErrValidatorStateDamaged, stateFile, "the validator's last-sign state is inconsistent (a negative height or round, or sign bytes without their signature)", repairValidatorState(stateFile), nil)
	}
	return nil
}

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// surveyStore checks that the SQLite store, if there is one, is a database
// whose meta row reads, and returns its committed height (0 without a
// store: the node replays its blocks into a new one).
func surveyStore(home, path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, damaged(ErrStoreDamaged, path, "the store cannot be opened", repairStore(home), err)
	}
	head := make([]byte, 100)
	n, err := io.ReadFull(f, head)
	f.Close()
	switch {
	case n == 0 && err == io.EOF:
		return 0, damaged(ErrStoreDamaged, path, "the store is empty (0 bytes): it was truncated", repairStore(home), nil)
	case err != nil:
		return 0, damaged(ErrStoreDamaged, path, fmt.Sprintf("the store is %d bytes, shorter than an SQLite header: it was truncated", n), repairStore(home), nil)
	case !bytes.Equal(head[:len(sqliteMagic)], sqliteMagic):
		return 0, damaged(ErrStoreDamaged, path, "the store is not an SQLite database (its header is wrong)", repairStore(home), nil)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return 0, damaged(ErrStoreDamaged, path, "the store cannot be opened", repairStore(home), err)
	}
	defer db.Close()
	var h int64
	err = db.QueryRow("SELECT height FROM meta WHERE id = 0").Scan(&h)
	switch {
	case err == nil, errors.Is(err, sql.ErrNoRows):
		return h, nil
	case isSQLiteDamage(err):
		return 0, damaged(ErrStoreDamaged, path, "SQLite cannot read the store", repairStore(home), err)
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrError {
		return 0, nil // no meta table yet: a store made before InitChain
	}
	return 0, damaged(ErrStoreDamaged, path, "the store's last committed block cannot be read", repairStore(home), err)
}

// isSQLiteDamage reports whether err is SQLite finding its file damaged.
func isSQLiteDamage(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// storeDamage turns SQLite's "damaged" errors met while opening or
// checking the store into an ErrStoreDamaged; others are returned as they
// are.
func storeDamage(home, path string, err error) error {
	if err != nil && isSQLiteDamage(err) {
		return damaged(ErrStoreDamaged, path, "SQLite cannot read the store", repairStore(home), err)
	}
	return err
}

// surveyComet opens CometBFT's block store and state as the start does,
// and reads what the handshake will: the block store's range, the first
// and last block, the last block's commit, CometBFT's state and the
// validators and parameters of the next height. deep reads every record of
// both databases too. It returns the block store's base and height and
// the state's height.
func surveyComet(conf *cfg.Config, deep bool) (bsBase, bsHeight, stHeight int64, err error) {
	home := conf.RootDir
	bsFile := filepath.Join(conf.DBDir(), "blockstore.db")
	stFile := filepath.Join(conf.DBDir(), "state.db")
	err = recovered(func() error {
		db, err := cfg.DefaultDBProvider(&cfg.DBContext{ID: "blockstore", Config: conf})
		if err != nil {
			return damaged(ErrBlockStoreDamaged, bsFile, "the block store cannot be opened", repairFromPeers(home), err)
		}
		defer db.Close()
		err = recovered(func() error {
			bs := cmtstore.NewBlockStore(db)
			bsBase, bsHeight = bs.Base(), bs.Height()
			if bsHeight == 0 {
				return nil
			}
			for _, h := range []int64{bs.Base(), bsHeight} {
				if bs.LoadBlockMeta(h) == nil || bs.LoadBlock(h) == nil {
					return fmt.Errorf("block %d is missing", h)
				}
			}
			if bs.LoadSeenCommit(bsHeight) == nil {
				return fmt.Errorf("the commit of block %d is missing", bsHeight)
			}
			if deep {
				return readAll(db.Iterator(nil, nil))
			}
			return nil
		})
		if err != nil {
			return damaged(ErrBlockStoreDamaged, bsFile, "the block store cannot be read", repairFromPeers(home), err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, asDamaged(err, ErrBlockStoreDamaged, bsFile, "the block store cannot be read", repairFromPeers(home))
	}
	err = recovered(func() error {
		db, err := cfg.DefaultDBProvider(&cfg.DBContext{ID: "state", Config: conf})
		if err != nil {
			return damaged(ErrCometStateDamaged, stFile, "CometBFT's state cannot be opened", repairFromPeers(home), err)
		}
		defer db.Close()
		err = recovered(func() error {
			ss := sm.NewStore(db, sm.StoreOptions{})
			st, err := ss.Load()
			if err != nil {
				return err
			}
			stHeight = st.LastBlockHeight
			if st.IsEmpty() {
				return nil
			}
			if _, err := ss.LoadValidators(st.LastBlockHeight + 1); err != nil {
				return err
			}
			if _, err := ss.LoadConsensusParams(st.LastBlockHeight + 1); err != nil {
				return err
			}
			if deep {
				return readAll(db.Iterator(nil, nil))
			}
			return nil
		})
		if err != nil {
			return damaged(ErrCometStateDamaged, stFile, "CometBFT's state cannot be read", repairFromPeers(home), err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, asDamaged(err, ErrCometStateDamaged, stFile, "CometBFT's state cannot be read", repairFromPeers(home))
	}
	return bsBase, bsHeight, stHeight, nil
}

// readAll reads every key and value an iterator over a whole database
// gives (goleveldb checks each block's checksum as it reads it), then
// closes it.
func readAll[I interface {
	Valid() bool
	Next()
	Key() []byte
	Value() []byte
	Error() error
	Close() error
}](it I, err error) error {
	if err != nil {
		return err
	}
	for ; it.Valid(); it.Next() {
		_, _ = it.Key(), it.Value()
	}
	return errors.Join(it.Error(), it.Close())
}

// errRecovered marks an error recovered from a panic of CometBFT.
var errRecovered = errors.New("CometBFT gave up")

// recovered runs f, turning a panic into an error wrapping errRecovered
// (CometBFT's stores panic on a read error or a record they cannot decode,
// its handshake on a replay that reaches another app hash).
func recovered(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%w: %w", errRecovered, e)
			} else {
				// The first line: the handshake's message goes on with
				// the whole block.
				line, _, _ := strings.Cut(fmt.Sprint(r), "\n")
				err = fmt.Errorf("%w: %s", errRecovered, strings.TrimSpace(line))
			}
		}
	}()
	return f()
}

// startPanic is the error of a start that CometBFT's node constructor
// ended with a panic: its handshake read the block store and state the
// survey passed, and replayed the blocks the app lacks, and one of those
// failed (a block in the middle of the block store unreadable, or a
// replay that reached another app hash than the one the validators
// signed). The databases it opened stay open: the process should exit.
func startPanic(conf *cfg.Config, err error) error {
	return damaged(ErrBlockStoreDamaged, filepath.Join(conf.DBDir(), "blockstore.db"),
		"CometBFT stopped while replaying the node's blocks into its state", repairFromPeers(conf.RootDir), err)
}

// asDamaged returns err if it is a *DamagedError, or err as a damage of
// kind to file.
func asDamaged(err, kind error, file, problem, repair string) error {
	var de *DamagedError
	if errors.As(err, &de) {
		return err
	}
	return damaged(kind, file, problem, repair, err)
}
