package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
)

// A network is formed as it would be across organizations: each one makes
// its node's keys on its own machine (InitNode) and hands the others a node
// card, signed by its validator key; the members assemble the genesis from
// the cards (AssembleGenesis) and compare its SHA-256 out of band; each node
// joins with the genesis and the others' cards (JoinNetwork), which checks
// that the genesis holds its own key and sets its peers. No key ever leaves
// the home it was made in. docs/spec/node-card.md specifies the card.

// CardFormat is the version tag of a node card.
const CardFormat = "evote/v1/node-card"

// CardFile is where InitNode writes the node's card in its home.
const CardFile = "config/node-card.json"

// ErrCard is a node card that is malformed or whose signature does not
// verify; ErrNotInGenesis a genesis that does not hold the joining
// validator's key; ErrJoin any other refusal of JoinNetwork.
var (
	ErrCard         = errors.New("chain: node card")
	ErrNotInGenesis = errors.New("chain: the genesis does not hold this node's validator key")
	ErrJoin         = errors.New("chain: join")
)

// Card is a node card: what a member publishes of its node for the others
// to form the network.
type Card struct {
	Format  string `json:"format"`
	Moniker string `json:"moniker"`
	// PubKey is the validator's Ed25519 public key (32 bytes, base64).
	PubKey []byte `json:"validator_pub_key"`
	// NodeID is the node's p2p id: 40 lowercase hex digits (CometBFT's).
	NodeID string `json:"node_id"`
	// P2PAddress is where the others reach the node's p2p port:
	// host:port.
	P2PAddress string `json:"p2p_address"`
	// HTTPURL is the node's API and pages for voters and observers:
	// scheme://host[:port], or empty.
	HTTPURL string `json:"http_url"`
	// Signature is the validator key's Ed25519 signature of SignBytes.
	Signature []byte `json:"signature"`
}

var (
	monikerRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	nodeIDRE  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// SignBytes is what the validator key signs (docs/spec/node-card.md):
//
//	u8 len ‖ "evote/v1/node-card" ‖ u32 len ‖ moniker ‖ [32] validator key
//	‖ u32 len ‖ node id ‖ u32 len ‖ p2p address ‖ u32 len ‖ http url
//
// with integers big-endian.
func (c *Card) SignBytes() []byte {
	b := append([]byte{byte(len(CardFormat))}, CardFormat...)
	field := func(s string) { b = binary.BigEndian.AppendUint32(b, uint32(len(s))); b = append(b, s...) }
	field(c.Moniker)
	b = append(b, c.PubKey...)
	field(c.NodeID)
	field(c.P2PAddress)
	field(c.HTTPURL)
	return b
}

// Check checks every field of the card and its signature.
func (c *Card) Check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w of %q: %s", ErrCard, c.Moniker, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Format != CardFormat:
		return bad("format %q, not %q", c.Format, CardFormat)
	case !monikerRE.MatchString(c.Moniker):
		return bad("the moniker must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit")
	case len(c.PubKey) != ed25519.PubKeySize:
		return bad("a validator key of %d bytes, not %d", len(c.PubKey), ed25519.PubKeySize)
	case !nodeIDRE.MatchString(c.NodeID):
		return bad("node id %q is not 40 lowercase hex digits", c.NodeID)
	}
	if err := checkHostPort(c.P2PAddress); err != nil {
		return bad("p2p address: %v", err)
	}
	if c.HTTPURL != "" {
		if err := CheckOrigin(c.HTTPURL); err != nil {
			return bad("http url: %v", err)
		}
	}
	if !ed25519.PubKey(c.PubKey).VerifySignature(c.SignBytes(), c.Signature) {
		return bad("the signature is not the validator key's: the card was changed, or made for a key its author does not hold")
	}
	return nil
}

// checkHostPort checks "host:port" with a port of 1..65535 and a host.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || host == "" || strings.ContainsAny(host, "@/ ") {
		return fmt.Errorf("%q is not host:port", a)
	}
	return nil
}

// CheckOrigin checks that o is an origin, scheme://host[:port] (http or
// https, nothing after): a node card's HTTP URL, and the web settings'
// origins and peer nodes.
func CheckOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not scheme://host[:port]", o)
	}
	return nil
}

// ReadCard reads and checks a card file.
func ReadCard(path string) (*Card, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Card
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrCard, path, err)
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// NodeInit are the settings of a node InitNode makes.
type NodeInit struct {
	Moniker string
	// P2PListen and RPCListen are listen addresses ("tcp://0.0.0.0:26656");
	// empty means DefaultP2PAddr and DefaultRPCAddr (loopback).
	P2PListen, RPCListen string
	// P2PExternal is the address the others dial (host:port), in the
	// card and CometBFT's external address; empty means P2PListen's.
	P2PExternal string
	// HTTPExternal is the node's API for voters and observers, in the
	// card; may be empty.
	HTTPExternal string
}

// InitNode makes a node's home: its validator key and last-sign state, its
// node key and config/config.toml, and no genesis (JoinNetwork brings it).
// It writes the node's card to CardFile and returns it. It refuses a home
// that already holds a key or a genesis.
func InitNode(home string, o NodeInit) (*Card, error) {
	_, c, err := initNode(home, o)
	return c, err
}

// initNode is InitNode, returning the configuration it wrote too.
func initNode(home string, o NodeInit) (*cfg.Config, *Card, error) {
	if !monikerRE.MatchString(o.Moniker) {
		return nil, nil, fmt.Errorf("chain: InitNode: moniker %q: 1 to 64 letters, digits, dots, dashes or underscores", o.Moniker)
	}
	if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err == nil {
		return nil, nil, fmt.Errorf("chain: InitNode: %s already holds a genesis", home)
	}
	p2p := orDefault(o.P2PListen, DefaultP2PAddr)
	external := o.P2PExternal
	if external == "" {
		external = strings.TrimPrefix(p2p, "tcp://")
		if h, _, err := net.SplitHostPort(external); err == nil && (h == "0.0.0.0" || h == "::" || h == "") {
			return nil, nil, errors.New("chain: InitNode: the p2p listen address names no host the others can dial: give the external address")
		}
	}
	if err := checkHostPort(external); err != nil {
		return nil, nil, fmt.Errorf("chain: InitNode: p2p external address: %w", err)
	}
	if o.HTTPExternal != "" {
		if err := CheckOrigin(o.HTTPExternal); err != nil {
			return nil, nil, fmt.Errorf("chain: InitNode: http external url: %w", err)
		}
	}
	conf := nodeConfig(home, o.Moniker, p2p, orDefault(o.RPCListen, DefaultRPCAddr))
	conf.P2P.ExternalAddress = external
	pv, nodeKey, err := makeKeys(conf)
	if err != nil {
		return nil, nil, err
	}
	if err := writeConfig(conf); err != nil {
		return nil, nil, err
	}
	c := &Card{Format: CardFormat, Moniker: o.Moniker, PubKey: pv.Key.PubKey.Bytes(), NodeID: string(nodeKey.ID()),
		P2PAddress: external, HTTPURL: strings.TrimSuffix(o.HTTPExternal, "/")}
	if c.Signature, err = pv.Key.PrivKey.Sign(c.SignBytes()); err != nil {
		return nil, nil, fmt.Errorf("chain: sign the node card: %w", err)
	}
	if err := WriteCard(filepath.Join(home, CardFile), c); err != nil {
		return nil, nil, err
	}
	return conf, c, nil
}

// WriteCard writes a card as indented JSON.
func WriteCard(path string, c *Card) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// AssembleGenesis checks the members' cards and makes the genesis whose
// validators they are, in the cards' order, each with the power that
// powers gives its moniker (validatorPower otherwise). It refuses a card
// that does not check, and two cards of one moniker, key, node id or p2p
// address.
func AssembleGenesis(chainID string, appState json.RawMessage, cards []*Card, powers map[string]int64, t time.Time) (*cmttypes.GenesisDoc, error) {
	if chainID == "" {
		return nil, errors.New("chain: genesis: empty chain id")
	}
	if len(cards) == 0 {
		return nil, errors.New("chain: genesis: no card: a network needs at least one validator")
	}
	seen := map[string]string{}
	var vals []cmttypes.GenesisValidator
	for _, c := range cards {
		if err := c.Check(); err != nil {
			return nil, err
		}
		for _, k := range []string{"moniker " + c.Moniker, "key " + hex.EncodeToString(c.PubKey), "node id " + c.NodeID, "p2p address " + c.P2PAddress} {
			if other, dup := seen[k]; dup {
				return nil, fmt.Errorf("%w: the cards of %q and %q have the same %s", ErrCard, other, c.Moniker, k)
			}
			seen[k] = c.Moniker
		}
		power := int64(validatorPower)
		if p, ok := powers[c.Moniker]; ok {
			if p < 1 {
				return nil, fmt.Errorf("chain: genesis: the power of %q must be at least 1, not %d", c.Moniker, p)
			}
			power = p
		}
		pub := ed25519.PubKey(c.PubKey)
		vals = append(vals, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: power, Name: c.Moniker})
	}
	for name := range powers {
		if _, ok := seen["moniker "+name]; !ok {
			return nil, fmt.Errorf("chain: genesis: a power for %q, whose card is not given", name)
		}
	}
	gen := genesisDoc(chainID, appState, t, vals)
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("chain: genesis: %w", err)
	}
	return gen, nil
}

// WriteGenesis writes gen to path and returns the SHA-256 of the file, in
// hex, for the members to compare.
func WriteGenesis(gen *cmttypes.GenesisDoc, path string) (string, error) {
	if err := gen.SaveAs(path); err != nil {
		return "", fmt.Errorf("chain: write genesis: %w", err)
	}
	return FileSHA256(path)
}

// FileSHA256 is the hex SHA-256 of a file's bytes.
func FileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Joined is what JoinNetwork did.
type Joined struct {
	Validator   bool     // the genesis holds this node's key
	Peers       []string // the persistent peers set, id@host:port
	GenesisHash string   // SHA-256 of the genesis file, hex
}

// JoinNetwork joins the node of conf (a home made by InitNode) to the
// network of the genesis file: it checks the genesis, that it holds this
// node's validator key (or, for a replica, that it does not), and the
// cards of the nodes to peer with; then it copies the genesis into the
// home and sets the persistent peers. A validator must be in the genesis:
// a genesis assembled without its card is refused (ErrNotInGenesis).
func JoinNetwork(conf *cfg.Config, genesisFile string, cards []*Card, replica bool) (*Joined, error) {
	raw, err := os.ReadFile(genesisFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJoin, err)
	}
	gen, err := cmttypes.GenesisDocFromJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a genesis: %v", ErrJoin, genesisFile, err)
	}
	own := conf.GenesisFile()
	if old, err := os.ReadFile(own); err == nil && !bytes.Equal(old, raw) {
		return nil, fmt.Errorf("%w: %s already holds another genesis (chain %q)", ErrJoin, own, gen.ChainID)
	}
	pv, err := loadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJoin, err)
	}
	pub := pv.Key.PubKey
	validator := slices.ContainsFunc(gen.Validators, func(v cmttypes.GenesisValidator) bool { return v.PubKey.Equals(pub) })
	switch {
	case !validator && !replica:
		return nil, fmt.Errorf("%w: %s (chain %q) holds %d validators, not this node's key %X (%s): the members assembled it without this node's card; "+
			"a node that is not a validator joins as a replica", ErrNotInGenesis, genesisFile, gen.ChainID, len(gen.Validators), pub.Bytes(), conf.Moniker)
	case validator && replica:
		return nil, fmt.Errorf("%w: %s holds this node's key as a validator: join it as one, not as a replica", ErrJoin, genesisFile)
	}
	var peers []string
	for _, c := range cards {
		if err := c.Check(); err != nil {
			return nil, err
		}
		if bytes.Equal(c.PubKey, pub.Bytes()) {
			continue // this node's own card
		}
		peers = append(peers, c.NodeID+"@"+c.P2PAddress)
	}
	if len(peers) == 0 && (replica || len(gen.Validators) > 1) {
		return nil, fmt.Errorf("%w: no other node's card: give the cards of the nodes to connect to", ErrJoin)
	}
	if err := os.WriteFile(own, raw, 0o644); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJoin, err)
	}
	conf.P2P.PersistentPeers = strings.Join(peers, ",")
	if err := writeConfig(conf); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	return &Joined{Validator: validator, Peers: peers, GenesisHash: hex.EncodeToString(sum[:])}, nil
}

// StateSync is how a replica that joins late restores a recent snapshot
// instead of executing every block from the genesis (CometBFT's state
// sync, config.toml [statesync]; docs/deployment.md). Its light client
// verifies the snapshot's height against the validators' signatures,
// starting from a header the operator trusts (TrustHeight, TrustHash),
// and asks two members' CometBFT RPC servers for the headers.
type StateSync struct {
	// RPCServers are the CometBFT RPC addresses of two members at least
	// (http://host:port: a member's --rpc-listen, reachable from the
	// replica). Node cards carry no RPC address: they are given here.
	RPCServers []string
	// TrustHeight and TrustHash are a header the operator trusts: its
	// height and hash (32 bytes).
	TrustHeight int64
	TrustHash   []byte
	// TrustPeriod is how long a validator set is trusted; 0 keeps
	// CometBFT's default (a week). It must cover TrustHeight's time.
	TrustPeriod time.Duration
}

// EnableStateSync writes the [statesync] section of conf's config.toml: the
// node restores a snapshot when it starts with an empty store, then block
// syncs to the tip.
func EnableStateSync(conf *cfg.Config, s StateSync) error {
	if len(s.RPCServers) < 2 {
		return fmt.Errorf("%w: state sync needs the CometBFT RPC of two members at least, got %d", ErrJoin, len(s.RPCServers))
	}
	for _, u := range s.RPCServers {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "tcp") || p.Host == "" {
			return fmt.Errorf("%w: state sync RPC server %q: want http://host:port", ErrJoin, u)
		}
	}
	if s.TrustHeight < 1 || len(s.TrustHash) != 32 {
		return fmt.Errorf("%w: state sync needs a trusted height (>= 1) and its header hash (32 bytes)", ErrJoin)
	}
	conf.StateSync.Enable = true
	conf.StateSync.RPCServers = slices.Clone(s.RPCServers)
	conf.StateSync.TrustHeight = s.TrustHeight
	conf.StateSync.TrustHash = strings.ToUpper(hex.EncodeToString(s.TrustHash))
	if s.TrustPeriod > 0 {
		conf.StateSync.TrustPeriod = s.TrustPeriod
	}
	if err := conf.StateSync.ValidateBasic(); err != nil {
		return fmt.Errorf("%w: state sync: %v", ErrJoin, err)
	}
	return writeConfig(conf)
}

// TrustedHeader reads the latest signed header from the first of servers
// (CometBFT RPC addresses) and checks that each other server has the same
// header at that height: the replica's operator takes it as the light
// client's root of trust when not given one (two members agreeing on it).
// It returns the height and the header's hash.
func TrustedHeader(ctx context.Context, servers []string) (int64, []byte, error) {
	if len(servers) < 2 {
		return 0, nil, fmt.Errorf("%w: a trusted header needs two members' RPC, got %d", ErrJoin, len(servers))
	}
	var height int64
	var hash []byte
	for i, s := range servers {
		c, err := rpchttp.New(s, "/websocket")
		if err != nil {
			return 0, nil, fmt.Errorf("%w: RPC server %s: %v", ErrJoin, s, err)
		}
		var h *int64
		if i > 0 {
			h = &height
		}
		res, err := c.Commit(ctx, h)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: the signed header from %s: %v", ErrJoin, s, err)
		}
		if res.SignedHeader.Header == nil {
			return 0, nil, fmt.Errorf("%w: %s gave no header", ErrJoin, s)
		}
		got := res.SignedHeader.Header.Hash()
		if i == 0 {
			height, hash = res.SignedHeader.Header.Height, got
			continue
		}
		if !bytes.Equal(got, hash) {
			return 0, nil, fmt.Errorf("%w: %s and %s give different headers at height %d (%X, %X): do not trust either before you know why",
				ErrJoin, servers[0], s, height, hash, got)
		}
	}
	return height, hash, nil
}
