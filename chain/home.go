package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
)

// A node home is CometBFT's layout: config/config.toml, config/genesis.json,
// config/node_key.json, config/priv_validator_key.json,
// data/priv_validator_state.json, CometBFT's databases under data/, and the
// SQLite store data/evote.db.

// Defaults of a node home.
const (
	// DefaultP2PAddr and DefaultRPCAddr are loopback-only listen addresses.
	DefaultP2PAddr = "tcp://127.0.0.1:26656"
	DefaultRPCAddr = "tcp://127.0.0.1:26657"
	// MaxBlockBytes bounds a block (consensus parameter block.max_bytes).
	MaxBlockBytes = 4 << 20
	// MaxTxBytes bounds one transaction in the mempool.
	MaxTxBytes = 1 << 20
	// validatorPower is every validator's voting power.
	validatorPower = 10
)

// Consensus timeouts for validators on one host or a fast LAN; see
// docs/chain.md.
const (
	TimeoutPropose   = 3 * time.Second
	TimeoutPrevote   = 200 * time.Millisecond
	TimeoutPrecommit = 200 * time.Millisecond
	TimeoutCommit    = 100 * time.Millisecond
)

// InitOptions are the genesis and addresses of a single-validator home.
type InitOptions struct {
	ChainID  string
	AppState json.RawMessage // the genesis app state (JSON of election.Genesis)
	// P2PAddr and RPCAddr are listen addresses ("tcp://127.0.0.1:26656");
	// empty means DefaultP2PAddr and DefaultRPCAddr.
	P2PAddr, RPCAddr string
	// GenesisTime is the genesis time; zero means now.
	GenesisTime time.Time
}

// Init writes a home for a single validator: keys, genesis and
// config/config.toml. It refuses a home that already has a genesis.
func Init(home, moniker string, opts InitOptions) error {
	if opts.ChainID == "" {
		return errors.New("chain: Init: empty chain id")
	}
	if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err == nil {
		return fmt.Errorf("chain: Init: %s already holds a genesis", home)
	}
	conf := nodeConfig(home, moniker, orDefault(opts.P2PAddr, DefaultP2PAddr), orDefault(opts.RPCAddr, DefaultRPCAddr))
	pv, _, err := makeKeys(conf)
	if err != nil {
		return err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	gen := genesisDoc(opts.ChainID, opts.AppState, opts.GenesisTime,
		[]cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: validatorPower, Name: moniker}})
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("chain: Init: genesis: %w", err)
	}
	if err := gen.SaveAs(conf.GenesisFile()); err != nil {
		return fmt.Errorf("chain: Init: %w", err)
	}
	return writeConfig(conf)
}

// GenerateTestnet writes n homes dir/node0 ... dir/node{n-1} of one
// network on 127.0.0.1 (or the hosts of GenerateTestnetWith), formed as a real network is (network.go): each
// node made with its own keys and card, the genesis assembled from the
// cards (every node a validator of equal power, written to
// dir/genesis.json too), each node joined with the others' cards as its
// peers. Node i listens for p2p on basePort+2i and RPC on basePort+2i+1.
// It returns the homes.
func GenerateTestnet(dir string, n int, chainID string, appState json.RawMessage, basePort int) ([]string, error) {
	return GenerateTestnetWith(dir, n, chainID, appState, basePort, TestnetOptions{})
}

// TestnetOptions are what GenerateTestnetWith may change of each node.
type TestnetOptions struct {
	// Host is node i's listen host (nil: every node on 127.0.0.1).
	Host func(i int) string
	// HTTPURL is node i's HTTP URL, for its card (nil: none).
	HTTPURL func(i int) string
}

// GenerateTestnetWith is GenerateTestnet with the nodes' hosts and HTTP
// URLs of o.
func GenerateTestnetWith(dir string, n int, chainID string, appState json.RawMessage, basePort int, o TestnetOptions) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("chain: GenerateTestnet: %d nodes", n)
	}
	if chainID == "" {
		return nil, errors.New("chain: GenerateTestnet: empty chain id")
	}
	if basePort < 1 || basePort+2*n > 65535 {
		return nil, fmt.Errorf("chain: GenerateTestnet: base port %d out of range", basePort)
	}
	homes := make([]string, n)
	confs := make([]*cfg.Config, n)
	cards := make([]*Card, n)
	for i := range n {
		homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
		host := "127.0.0.1"
		if o.Host != nil {
			host = o.Host(i)
		}
		ni := NodeInit{Moniker: fmt.Sprintf("node%d", i),
			P2PListen: fmt.Sprintf("tcp://%s:%d", host, basePort+2*i), RPCListen: fmt.Sprintf("tcp://%s:%d", host, basePort+2*i+1)}
		if o.HTTPURL != nil {
			ni.HTTPExternal = o.HTTPURL(i)
		}
		var err error
		if confs[i], cards[i], err = initNode(homes[i], ni); err != nil {
			return nil, err
		}
	}
	gen, err := AssembleGenesis(chainID, appState, cards, nil, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("chain: GenerateTestnet: %w", err)
	}
	genFile := filepath.Join(dir, "genesis.json")
	if _, err := WriteGenesis(gen, genFile); err != nil {
		return nil, err
	}
	for _, conf := range confs {
		if _, err := JoinNetwork(conf, genFile, cards, false); err != nil {
			return nil, fmt.Errorf("chain: GenerateTestnet: %w", err)
		}
	}
	return homes, nil
}

// nodeConfig is the CometBFT configuration of an evote node (docs/chain.md).
func nodeConfig(home, moniker, p2pAddr, rpcAddr string) *cfg.Config {
	c := cfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = moniker
	c.ProxyApp = "" // the app is in-process
	c.P2P.ListenAddress = p2pAddr
	c.P2P.AddrBookStrict = false // peers on 127.0.0.1 are not "routable"
	c.P2P.AllowDuplicateIP = true
	c.P2P.PexReactor = false // peers are the configured persistent peers
	c.RPC.ListenAddress = rpcAddr
	c.Instrumentation.Prometheus = false
	c.TxIndex.Indexer = "null" // the SQLite txs table is the index

	c.Consensus.CreateEmptyBlocks = false
	c.Consensus.CreateEmptyBlocksInterval = 0
	c.Consensus.TimeoutPropose = TimeoutPropose
	c.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrevote = TimeoutPrevote
	c.Consensus.TimeoutPrevoteDelta = 100 * time.Millisecond
	c.Consensus.TimeoutPrecommit = TimeoutPrecommit
	c.Consensus.TimeoutPrecommitDelta = 100 * time.Millisecond
	c.Consensus.TimeoutCommit = TimeoutCommit
	c.Consensus.PeerGossipSleepDuration = 20 * time.Millisecond
	c.Consensus.PeerQueryMaj23SleepDuration = 500 * time.Millisecond

	c.Mempool.Size = 10_000
	c.Mempool.MaxTxBytes = MaxTxBytes
	c.Mempool.MaxTxsBytes = 256 << 20
	c.Mempool.CacheSize = 100_000
	// The mempool rechecks its transactions after every block: one that a
	// block made invalid (a ballot pending at the close) can never be
	// proposed (ProcessProposal's rule), so it is dropped, and its waiting
	// client answered with its code (dropped.go). The recheck costs Check
	// only: the proofs' verdicts are cached. NewNode sets it whatever the
	// file says.
	c.Mempool.Recheck = true
	c.Mempool.Broadcast = true
	return c
}

func genesisDoc(chainID string, appState json.RawMessage, t time.Time, vals []cmttypes.GenesisValidator) *cmttypes.GenesisDoc {
	if t.IsZero() {
		t = time.Now()
	}
	params := cmttypes.DefaultConsensusParams()
	params.Block.MaxBytes = MaxBlockBytes
	params.Block.MaxGas = -1
	if len(appState) == 0 {
		appState = json.RawMessage("{}")
	}
	return &cmttypes.GenesisDoc{
		GenesisTime:     t.UTC().Round(0),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: params,
		Validators:      vals,
		AppState:        appState,
	}
}

// makeKeys creates the home's directories, validator key and state, and
// node key. It never replaces an existing key.
func makeKeys(c *cfg.Config) (*privval.FilePV, *p2p.NodeKey, error) {
	for _, d := range []string{filepath.Join(c.RootDir, "config"), filepath.Join(c.RootDir, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, nil, fmt.Errorf("chain: home: %w", err)
		}
	}
	for _, f := range []string{c.PrivValidatorKeyFile(), c.NodeKeyFile()} {
		if _, err := os.Stat(f); err == nil {
			return nil, nil, fmt.Errorf("chain: home: %s exists; refusing to replace a key", f)
		}
	}
	pv := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err := noPanic(pv.Save); err != nil {
		return nil, nil, fmt.Errorf("chain: save validator key: %w", err)
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile()) // generates: checked above
	if err != nil {
		return nil, nil, fmt.Errorf("chain: node key: %w", err)
	}
	return pv, nodeKey, nil
}

func writeConfig(c *cfg.Config) error {
	if err := noPanic(func() { cfg.WriteConfigFile(filepath.Join(c.RootDir, "config", "config.toml"), c) }); err != nil {
		return fmt.Errorf("chain: write config: %w", err)
	}
	return nil
}

// loadFilePV reads the validator key and last-sign state. privval's own
// loader exits the process on a bad file; this returns an error instead.
func loadFilePV(keyFile, stateFile string) (*privval.FilePV, error) {
	keyJSON, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("chain: validator key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(keyJSON, &key); err != nil {
		return nil, fmt.Errorf("chain: validator key %s: %w", keyFile, err)
	}
	if key.PrivKey == nil {
		return nil, fmt.Errorf("chain: validator key %s: no private key", keyFile)
	}
	pv := privval.NewFilePV(key.PrivKey, keyFile, stateFile)
	stateJSON, err := os.ReadFile(stateFile)
	if err != nil {
		return nil, fmt.Errorf("chain: validator state: %w", err)
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(stateJSON, &st); err != nil {
		return nil, fmt.Errorf("chain: validator state %s: %w", stateFile, err)
	}
	pv.LastSignState.Height = st.Height
	pv.LastSignState.Round = st.Round
	pv.LastSignState.Step = st.Step
	pv.LastSignState.Signature = st.Signature
	pv.LastSignState.SignBytes = st.SignBytes
	return pv, nil
}

// noPanic runs f, turning a panic (CometBFT's file writers panic on I/O
// errors) into an error.
func noPanic(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
