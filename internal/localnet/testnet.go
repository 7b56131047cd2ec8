package localnet

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
)

// Testnet describes the homes of an N-validator network on 127.0.0.1, as
// `evote testnet` writes them.
type Testnet struct {
	Validators int
	Dir        string
	ChainID    string
	BasePort   int // node i listens for p2p on BasePort+2i and RPC on BasePort+2i+1
	HTTPPort   int // node i serves HTTP on HTTPPort+i
	// Hosts puts node i on its own loopback address, 127.0.0.(2+i),
	// standing for a machine of its own; otherwise all are on 127.0.0.1.
	Hosts bool
}

// Host is node i's address.
func (c Testnet) Host(i int) string {
	if c.Hosts {
		return fmt.Sprintf("127.0.0.%d", 2+i)
	}
	return "127.0.0.1"
}

// URL is node i's API.
func (c Testnet) URL(i int) string { return fmt.Sprintf("http://%s:%d", c.Host(i), c.HTTPPort+i) }

// Validate checks the description.
func (c Testnet) Validate() error {
	switch {
	case c.Validators < 1 || c.Validators > 64:
		return fmt.Errorf("--validators must be 1..64, got %d", c.Validators)
	case c.Dir == "":
		return errors.New("--dir is required")
	case c.ChainID == "":
		return errors.New("--chain-id is empty")
	case c.BasePort < 1024 || c.BasePort+2*c.Validators > 65535:
		return fmt.Errorf("--base-port %d out of range", c.BasePort)
	case c.HTTPPort < 1024 || c.HTTPPort+c.Validators > 65535:
		return fmt.Errorf("--http-port %d out of range", c.HTTPPort)
	}
	return nil
}

// Written is what WriteTestnet wrote.
type Written struct {
	Homes        []string // node0 ... node{N-1}
	Authority    *election.PrivateKey
	AuthorityKey string // the authority key's file, mode 0600
}

// WriteTestnet writes the network's homes: a fresh election authority key
// in Dir/authority.key, the genesis naming it, each validator's CometBFT
// home, and each node's evote.yaml with its HTTP address and the others'
// as its peer nodes (the wallet of each lists the others' elections).
func WriteTestnet(c Testnet) (*Written, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	authority, keyPath, err := NewAuthorityKey(c.Dir)
	if err != nil {
		return nil, err
	}
	appState, err := GenesisAppState(c.ChainID, authority)
	if err != nil {
		return nil, err
	}
	homes, err := chain.GenerateTestnetWith(c.Dir, c.Validators, c.ChainID, appState, c.BasePort,
		chain.TestnetOptions{Host: c.Host, HTTPURL: c.URL})
	if err != nil {
		return nil, err
	}
	for i, home := range homes {
		var peers []string
		for j := range homes {
			if j != i {
				peers = append(peers, c.URL(j))
			}
		}
		if err := WriteNodeSettings(home, fmt.Sprintf("%s:%d", c.Host(i), c.HTTPPort+i), peers); err != nil {
			return nil, err
		}
	}
	return &Written{Homes: homes, Authority: authority, AuthorityKey: keyPath}, nil
}

// NewAuthorityKey makes an operator's election authority key and writes it
// to dir/authority.key (mode 0600).
func NewAuthorityKey(dir string) (*election.PrivateKey, string, error) {
	k, err := election.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "authority.key")
	if err := keyfile.Write(path, k); err != nil {
		return nil, "", err
	}
	return k, path, nil
}

// GenesisAppState is the genesis app state of chain chainID with one
// election authority.
func GenesisAppState(chainID string, authority *election.PrivateKey) (json.RawMessage, error) {
	g := election.Genesis{ChainID: chainID, Authorities: []election.AuthorityPublicKey{authority.AuthorityPublic()}}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// WriteNodeSettings writes the evote settings of a node home
// (HOME/evote.yaml, which `evote node` reads): the HTTP listen address
// when not empty, and the other nodes' HTTP URLs as its peer nodes (the
// wallet offers their elections; the pages may call them). Other settings
// already in the file are kept.
func WriteNodeSettings(home, httpAddr string, peers []string) error {
	path := filepath.Join(home, "evote.yaml")
	settings := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := yaml.Unmarshal(b, &settings); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if settings == nil {
			settings = map[string]any{}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if httpAddr != "" {
		settings["http"] = httpAddr
	}
	if len(peers) > 0 {
		settings["peer-nodes"] = peers
	} else {
		delete(settings, "peer-nodes")
	}
	b, err := yaml.Marshal(settings)
	if err != nil {
		return err
	}
	b = append([]byte("# evote node settings (flags and EVOTE_* variables override them); peer-nodes: the network's other nodes\n"), b...)
	return os.WriteFile(path, b, 0o600)
}
