package chain

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

var (
	// ErrKnownTx means the mempool has the transaction already, or has seen
	// it committed recently: it was submitted before.
	ErrKnownTx = errors.New("chain: transaction already submitted")
	// ErrMempoolFull means the mempool has no room now; try again later.
	ErrMempoolFull = errors.New("chain: mempool full")
)

// Options configure NewNode.
type Options struct {
	// NewMachine builds the state machine from the genesis. Required.
	NewMachine MachineFactory
	// LogOutput receives CometBFT's and the node's log; nil discards it.
	LogOutput io.Writer
	// LogLevel is "debug", "info", "error" or "none"; empty means "info".
	LogLevel string
	// CacheSize bounds the verdict cache; 0 means DefaultCacheSize.
	CacheSize int
	// MaxBehind is how many blocks the block store may lag behind the
	// height its peers report before the node halts (HaltBehindPeers);
	// 0 means DefaultMaxBehind.
	MaxBehind int64
	// NoPeersTimeout is how long a node that needs peers may have none
	// before it halts (HaltNoPeers); 0 means DefaultNoPeersTimeout.
	NoPeersTimeout time.Duration
	// StoreWriteFault, if set, runs as each block commits to the SQLite
	// store, and its error is the commit's: the tests' way to fail a
	// write (a full disk: an error wrapping syscall.ENOSPC).
	StoreWriteFault func(height int64) error

	// Proposer, when set, rewrites this node's block proposals after the
	// app made them: a test option that makes the validator misbehave (a
	// byzantine proposer). Never set in the binary.
	Proposer func(height int64, txs [][]byte) [][]byte

	// Snapshots are the node's state sync snapshots (snapshot.go); the
	// zero value takes none.
	Snapshots SnapshotOptions

	afterCommit func(height int64) // tests: called after each durable Commit
}

// Node is a polling node: CometBFT embedded in-process, with the App as
// its local ABCI application.
type Node struct {
	home string
	lock *homeLock // lock.go, released by Stop
	conf *cfg.Config
	app  *App
	cmt  *nm.Node
	rpc  *local.Local

	proofs  blockProofCache // receipts' per-block material, built once per height
	pending pendingSet      // the mempool by hash, for Pending

	halts     *halts // halt.go
	maxBehind int64
	noPeers   time.Duration
	needPeers bool // one of several validators, or a replica

	stopOnce sync.Once
	// stopRetries ends retryLoop (retry.go) and haltWatch (halt.go).
	stopRetries chan struct{}
	stopErr     error
}

// NewNode builds the node of the home written by Init or GenerateTestnet
// (conf.RootDir), with conf its CometBFT configuration as read from
// config/config.toml by the caller (internal/cometconf.Load): the validator key, the
// node key, the genesis and CometBFT's databases, and the SQLite store
// data/evote.db. The handshake with the app (replaying blocks the app
// lacks) runs here. Start it with Start.
//
// NewNode holds the home's lock (data/evote.lock) until Stop: a home in
// use is ErrHomeInUse. A damaged file of the home is a *DamagedError
// (errors.Is ErrDamaged) naming the file and the repair, an altered store
// ErrStateAltered; neither is ever a panic (survey.go).
func NewNode(conf *cfg.Config, opts Options) (*Node, error) {
	if opts.NewMachine == nil {
		return nil, errors.New("chain: NewNode: Options.NewMachine is nil")
	}
	if conf == nil || conf.RootDir == "" {
		return nil, errors.New("chain: NewNode: no configuration, or one without its home (RootDir)")
	}
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("chain: configuration of %s: %w", conf.RootDir, err)
	}
	// A transaction a block made invalid must leave the mempool (dropped.go):
	// homes written before the recheck was on have recheck = false.
	conf.Mempool.Recheck = true
	// The home's lock, then the survey of its files (survey.go), before
	// anything opens them for good.
	lock, err := lockHome(conf.RootDir)
	if err != nil {
		return nil, err
	}
	if err := surveyHome(conf); err != nil {
		lock.release()
		return nil, err
	}
	n, err := newNode(conf, opts)
	if err != nil {
		lock.release()
		return nil, err
	}
	n.lock = lock
	return n, nil
}

func newNode(conf *cfg.Config, opts Options) (*Node, error) {
	home := conf.RootDir
	conf.Consensus.PeerQueryMaj23SleepDuration = min(conf.Consensus.PeerQueryMaj23SleepDuration, maj23Sleep)
	logger, err := newLogger(opts.LogOutput, opts.LogLevel)
	if err != nil {
		return nil, err
	}
	hs := &halts{log: logger.With("module", "evote"), logged: map[HaltCause]bool{}}
	logger = haltLogger{logger, hs}
	pv, err := loadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("chain: node key: %w", err)
	}
	store, err := OpenStore(filepath.Join(conf.DBDir(), StoreFile))
	if err != nil {
		return nil, storeDamage(home, filepath.Join(conf.DBDir(), StoreFile), err)
	}
	// The state at rest against the app hash the chain signed, before the
	// handshake answers Info from it (atrest.go).
	if err := checkStateAtRest(context.Background(), conf, store, filepath.Join(conf.DBDir(), StoreFile)); err != nil {
		store.Close()
		return nil, storeDamage(home, filepath.Join(conf.DBDir(), StoreFile), err)
	}
	app, err := NewApp(store, opts.NewMachine, opts.CacheSize)
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := app.setSnapshots(home, conf.GenesisFile(), filepath.Join(conf.DBDir(), StoreFile), opts.Snapshots); err != nil {
		app.Close()
		return nil, err
	}
	app.afterCommit = opts.afterCommit
	app.fault = hs.appFault
	store.writeFault = opts.StoreWriteFault
	app.proposer = opts.Proposer
	app.logger = logger.With("module", "evote")
	// CometBFT's handshake replays here the blocks the app lacks; it
	// panics on a block it cannot read and on a replay that reaches
	// another app hash than the chain's (survey.go: startPanic).
	var cmt *nm.Node
	err = recovered(func() (err error) {
		cmt, err = nm.NewNode(conf, pv, nodeKey,
			clientCreator{app},
			nm.DefaultGenesisDocProviderFunc(conf),
			cfg.DefaultDBProvider,
			nm.DefaultMetricsProvider(conf.Instrumentation),
			logger)
		return err
	})
	if errors.Is(err, errRecovered) {
		app.Close()
		return nil, startPanic(conf, err)
	}
	if err != nil {
		app.Close()
		return nil, fmt.Errorf("chain: start CometBFT: %w", err)
	}
	n := &Node{home: home, conf: conf, app: app, cmt: cmt, rpc: local.New(cmt), halts: hs,
		maxBehind: opts.MaxBehind, noPeers: opts.NoPeersTimeout}
	if n.maxBehind <= 0 {
		n.maxBehind = DefaultMaxBehind
	}
	if n.noPeers <= 0 {
		n.noPeers = DefaultNoPeersTimeout
	}
	vals := cmt.GenesisDoc().Validators
	n.needPeers = len(vals) != 1 || !vals[0].PubKey.Equals(pv.Key.PubKey)
	return n, nil
}

func newLogger(w io.Writer, level string) (cmtlog.Logger, error) {
	if w == nil {
		return cmtlog.NewNopLogger(), nil
	}
	if level == "" {
		level = "info"
	}
	opt, err := cmtlog.AllowLevel(level)
	if err != nil {
		return nil, fmt.Errorf("chain: log level: %w", err)
	}
	return cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w)), opt), nil
}

// Start starts consensus, p2p and the RPC server.
func (n *Node) Start() error {
	if err := n.cmt.Start(); err != nil {
		return fmt.Errorf("chain: start: %w", err)
	}
	n.stopRetries = make(chan struct{})
	go n.retryLoop(n.stopRetries)
	go n.haltWatch(n.stopRetries, n.maxBehind, n.noPeers, n.needPeers)
	return nil
}

// Stop stops CometBFT, waits for it, then closes the store (rolling back a
// block staged but not committed: the next start replays it). A node that
// was never started, or failed to start, releases its databases too.
// Calling Stop again returns the first call's result.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		if n.stopRetries != nil {
			close(n.stopRetries)
		}
		var err error
		if n.cmt.IsRunning() {
			n.stopPeers()
			err = n.cmt.Stop()
			n.cmt.Wait()
		} else {
			n.cmt.OnStop() // closes CometBFT's databases
		}
		n.stopErr = errors.Join(err, n.app.Close())
		n.lock.release()
	})
	return n.stopErr
}

// The consensus reactor's routine that queries a peer's majorities sleeps
// up to three times maj23Sleep between two looks at whether the peer still
// runs (CometBFT's default is 2 s each; NewNode lowers it to this). Stop
// waits peersGone, once the peers are stopped, before CometBFT closes its
// databases: longer than those three sleeps.
const (
	maj23Sleep = 100 * time.Millisecond
	peersGone  = 5 * maj23Sleep
)

// stopPeers stops the p2p switch (its reactors and every peer) and waits
// peersGone. CometBFT's own stop closes the block store right after the
// switch, while a routine serving a peer that catches up may be between
// its look at the peer and its read of a commit: that read of a closed
// database panics, and the panic ends the process (in a test, every node
// in it). The switch stopped first, those routines see it and return.
func (n *Node) stopPeers() {
	sw := n.cmt.Switch()
	if sw == nil || !sw.IsRunning() {
		return
	}
	if err := sw.Stop(); err == nil {
		time.Sleep(peersGone)
	}
}

// Home is the node's home directory.
func (n *Node) Home() string { return n.home }

// App is the node's ABCI application.
func (n *Node) App() *App { return n.app }

// CometBFT is the embedded CometBFT node (block store, event bus, ...).
func (n *Node) CometBFT() *nm.Node { return n.cmt }

// CommitSignal returns a channel closed after the app's next durable
// Commit. Take it before looking at committed state, then wait on it: no
// commit slips between the look and the wait. Commit only closes the
// channel; it never waits for whoever listens.
func (n *Node) CommitSignal() <-chan struct{} { return n.app.commitSignal() }

// Submit verifies tx in the caller's goroutine (Precheck, cached by hash),
// then hands it to the mempool, whose CheckTx finds the verdict in the
// cache and runs only Check. It returns the transaction's hash and the
// verdict: a rejection is a Result, not an error. Errors are ErrKnownTx,
// ErrMempoolFull, the context's, or node faults.
func (n *Node) Submit(ctx context.Context, tx []byte) (TxHash, election.Result, error) {
	hash, res, err := n.app.Precheck(tx)
	if err != nil || !res.OK() {
		return hash, res, err
	}
	done := make(chan *abci.ResponseCheckTx, 1)
	err = n.cmt.Mempool().CheckTx(tx, func(r *abci.ResponseCheckTx) { done <- r }, mempool.TxInfo{})
	switch {
	case errors.Is(err, mempool.ErrTxInCache):
		return hash, res, ErrKnownTx
	case errors.As(err, new(mempool.ErrMempoolIsFull)):
		return hash, res, fmt.Errorf("%w: %v", ErrMempoolFull, err)
	case err != nil:
		return hash, res, fmt.Errorf("chain: submit: %w", err)
	}
	select {
	case r := <-done:
		return hash, resultOf(r.Code, r.Log), nil
	case <-ctx.Done():
		return hash, res, ctx.Err()
	}
}

func resultOf(code uint32, log string) election.Result {
	return election.Result{Code: election.Code(code), Log: log}
}

// Validator is one member of the validator set.
type Validator struct {
	Address string // hex
	PubKey  []byte // ed25519 public key
	Power   int64
}

// Status is the node's view of the chain.
type Status struct {
	ChainID string
	// Height, AppHash (hex) and BlockTime are those of the last block the
	// app committed.
	Height     int64
	AppHash    string
	BlockTime  time.Time
	Validators []Validator // the current validator set
}

// Status returns the chain id, the last committed height, app hash and
// block time, and the current validator set.
func (n *Node) Status(ctx context.Context) (Status, error) {
	m, err := n.app.store.Meta()
	if err != nil {
		return Status{}, err
	}
	vals, err := n.validators(ctx, 0)
	if err != nil {
		return Status{}, err
	}
	st := Status{
		ChainID:   n.cmt.GenesisDoc().ChainID,
		Height:    m.Height,
		AppHash:   hex.EncodeToString(m.AppHash),
		BlockTime: m.Time,
	}
	for _, v := range vals.Validators {
		st.Validators = append(st.Validators, Validator{
			Address: v.Address.String(), PubKey: v.PubKey.Bytes(), Power: v.VotingPower,
		})
	}
	return st, nil
}

// LastBlock returns the height and time of the last block in CometBFT's
// block store (committed by consensus; the app commits it moments later).
// Before the first block it returns 0 and the zero time.
func (n *Node) LastBlock() (int64, time.Time) {
	bs := n.cmt.BlockStore()
	h := bs.Height()
	if h == 0 {
		return 0, time.Time{}
	}
	meta := bs.LoadBlockMeta(h)
	if meta == nil {
		return h, time.Time{}
	}
	return h, meta.Header.Time
}

// validators returns the validator set at height (0: the latest).
func (n *Node) validators(ctx context.Context, height int64) (*cmttypes.ValidatorSet, error) {
	var hp *int64
	if height > 0 {
		hp = &height
	} else if n.cmt.BlockStore().Height() == 0 {
		// No block yet. A validator of a network of several starts in block
		// sync, and CometBFT's RPC then has no set at its latest height, 0:
		// the set is the genesis validators (evote's never changes).
		return genesisValidatorSet(n.cmt.GenesisDoc())
	}
	var all []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		p := page
		r, err := n.rpc.Validators(ctx, hp, &p, &perPage)
		if err != nil {
			return nil, fmt.Errorf("chain: validators: %w", err)
		}
		all = append(all, r.Validators...)
		if len(all) >= r.Total || len(r.Validators) == 0 {
			break
		}
	}
	vs := cmttypes.NewValidatorSet(all)
	if err := vs.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("chain: validators: %w", err)
	}
	return vs, nil
}

// genesisValidatorSet is the validator set a genesis names.
func genesisValidatorSet(gen *cmttypes.GenesisDoc) (*cmttypes.ValidatorSet, error) {
	vals := make([]*cmttypes.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	vs := cmttypes.NewValidatorSet(vals)
	if err := vs.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("chain: genesis validators: %w", err)
	}
	return vs, nil
}
