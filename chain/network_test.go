package chain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/evote/evote/internal/cometconf"
)

// initTestNode makes node i of a test network in its own home under dir.
func initTestNode(t *testing.T, dir string, i, base int) (string, *Card) {
	t.Helper()
	home := filepath.Join(dir, fmt.Sprintf("org%d", i))
	c, err := InitNode(home, NodeInit{Moniker: fmt.Sprintf("org-%d", i), P2PListen: fmt.Sprintf("tcp://127.0.0.1:%d", base+2*i),
		RPCListen: fmt.Sprintf("tcp://127.0.0.1:%d", base+2*i+1), HTTPExternal: fmt.Sprintf("https://org%d.example:8443", i)})
	if err != nil {
		t.Fatal(err)
	}
	return home, c
}

// TestNodeCard: a node made by InitNode has a card that checks and is the
// one written in its home; every field changed afterwards, or a card
// re-signed by another key, is refused; and the home keeps its keys.
func TestNodeCard(t *testing.T) {
	dir := t.TempDir()
	home, c := initTestNode(t, dir, 0, freeBase(t, 2))
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	read, err := ReadCard(filepath.Join(home, CardFile))
	if err != nil || !bytes.Equal(read.Signature, c.Signature) || read.NodeID != c.NodeID {
		t.Fatalf("the card in the home: %+v, %v", read, err)
	}
	if c.P2PAddress == "" || !strings.HasPrefix(c.HTTPURL, "https://org0.example") {
		t.Fatalf("card %+v", c)
	}
	other := ed25519.GenPrivKey()
	for name, change := range map[string]func(*Card){
		"moniker":       func(c *Card) { c.Moniker = "someone-else" },
		"p2p address":   func(c *Card) { c.P2PAddress = "10.0.0.9:26656" },
		"http url":      func(c *Card) { c.HTTPURL = "https://evil.example" },
		"node id":       func(c *Card) { c.NodeID = strings.Repeat("ab", 20) },
		"format":        func(c *Card) { c.Format = "evote/v2/node-card" },
		"signature":     func(c *Card) { c.Signature[0] ^= 1 },
		"another's key": func(c *Card) { c.PubKey = other.PubKey().Bytes() },
		"re-signed by another key": func(c *Card) {
			c.PubKey = read.PubKey
			c.Signature, _ = other.Sign(c.SignBytes())
		},
		"bad p2p":  func(c *Card) { c.P2PAddress = "no-port" },
		"bad http": func(c *Card) { c.HTTPURL = "https://x.example/path" },
	} {
		bad := *c
		bad.Signature = bytes.Clone(c.Signature)
		change(&bad)
		if err := bad.Check(); !errors.Is(err, ErrCard) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	// Unknown members are refused too.
	path := filepath.Join(dir, "extra.json")
	b, _ := os.ReadFile(filepath.Join(home, CardFile))
	os.WriteFile(path, bytes.Replace(b, []byte(`"format"`), []byte(`"power": 100, "format"`), 1), 0o644)
	if _, err := ReadCard(path); !errors.Is(err, ErrCard) {
		t.Errorf("a card with an unknown member: %v", err)
	}
	if _, err := InitNode(home, NodeInit{Moniker: "again"}); err == nil {
		t.Error("InitNode over a home that holds keys succeeded")
	}
	if _, err := InitNode(filepath.Join(dir, "any"), NodeInit{Moniker: "any", P2PListen: "tcp://0.0.0.0:26656"}); err == nil {
		t.Error("InitNode listening on every interface with no external address succeeded")
	}
}

// TestAssembleAndJoin: the genesis holds the cards' keys with their powers
// and is refused for a bad or repeated card; a validator joins with the
// others' cards as its peers; a node whose card the genesis lacks is
// refused as a validator (naming its key) and joins as a replica; a
// validator may not join as a replica; a home that holds another genesis
// is refused.
func TestAssembleAndJoin(t *testing.T) {
	dir := t.TempDir()
	base := freeBase(t, 8)
	var homes []string
	var cards []*Card
	for i := range 4 {
		h, c := initTestNode(t, dir, i, base)
		homes, cards = append(homes, h), append(cards, c)
	}
	gen, err := AssembleGenesis(testChainID, testAppState, cards[:3], map[string]int64{"org-1": 20}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Validators) != 3 || gen.Validators[1].Power != 20 || gen.Validators[0].Power != validatorPower || gen.Validators[2].Name != "org-2" {
		t.Fatalf("validators %+v", gen.Validators)
	}
	genFile := filepath.Join(dir, "genesis.json")
	sum, err := WriteGenesis(gen, genFile)
	if err != nil || len(sum) != 64 {
		t.Fatal(sum, err)
	}
	forged := *cards[2]
	forged.P2PAddress = "198.51.100.7:26656"
	for name, bad := range map[string][]*Card{
		"a changed card":  {cards[0], &forged},
		"a repeated card": {cards[0], cards[1], cards[0]},
		"no card":         nil,
	} {
		if _, err := AssembleGenesis(testChainID, testAppState, bad, nil, time.Time{}); err == nil {
			t.Errorf("%s: a genesis was assembled", name)
		}
	}
	if _, err := AssembleGenesis(testChainID, testAppState, cards[:2], map[string]int64{"org-9": 5}, time.Time{}); err == nil {
		t.Error("a power for a member without a card was taken")
	}

	conf := func(home string) *cfg.Config {
		c, err := cometconf.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	j, err := JoinNetwork(conf(homes[0]), genFile, cards, false)
	if err != nil || !j.Validator || len(j.Peers) != 3 || j.GenesisHash != sum {
		t.Fatalf("a validator's join: %+v, %v", j, err)
	}
	if c := conf(homes[0]); !strings.Contains(c.P2P.PersistentPeers, cards[1].NodeID+"@"+cards[1].P2PAddress) || strings.Contains(c.P2P.PersistentPeers, cards[0].NodeID) {
		t.Fatalf("peers %q", c.P2P.PersistentPeers)
	}
	_, err = JoinNetwork(conf(homes[3]), genFile, cards, false)
	if !errors.Is(err, ErrNotInGenesis) || !strings.Contains(err.Error(), fmt.Sprintf("%X", cards[3].PubKey)) || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("a validator the genesis lacks: %v", err)
	}
	if j, err := JoinNetwork(conf(homes[3]), genFile, cards[:3], true); err != nil || j.Validator || len(j.Peers) != 3 {
		t.Fatalf("a replica's join: %+v, %v", j, err)
	}
	if _, err := JoinNetwork(conf(homes[1]), genFile, cards, true); !errors.Is(err, ErrJoin) {
		t.Fatalf("a validator joining as a replica: %v", err)
	}
	if _, err := JoinNetwork(conf(homes[2]), genFile, cards[2:3], false); !errors.Is(err, ErrJoin) {
		t.Fatalf("a validator of three with no other card: %v", err)
	}
	other, err := AssembleGenesis(testChainID+"-2", testAppState, cards[:3], nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(dir, "other.json")
	if _, err := WriteGenesis(other, otherFile); err != nil {
		t.Fatal(err)
	}
	if _, err := JoinNetwork(conf(homes[0]), otherFile, cards, false); !errors.Is(err, ErrJoin) {
		t.Fatalf("a home that holds another genesis: %v", err)
	}
}

// TestNodeCardSpecExample: the example of docs/spec/node-card.md, card and
// sign bytes, is what the code makes from the key it names.
func TestNodeCardSpecExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/spec/node-card.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(lang string) string {
		_, rest, ok := strings.Cut(string(doc), "```"+lang+"\n")
		if !ok {
			t.Fatalf("no %s block", lang)
		}
		body, _, _ := strings.Cut(rest, "```")
		return strings.TrimSpace(body)
	}
	k := ed25519.GenPrivKeyFromSecret([]byte("evote/spec/node-card example"))
	c := &Card{Format: CardFormat, Moniker: "party-a", PubKey: k.PubKey().Bytes(), NodeID: "2f1d5a1f6b8c4e0d9a7b3c2e1f0a9b8c7d6e5f40",
		P2PAddress: "validator.party-a.example:26656", HTTPURL: "https://vote.party-a.example"}
	c.Signature, err = k.Sign(c.SignBytes())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if string(b) != block("json") {
		t.Errorf("the card:\n%s\nthe page's:\n%s", b, block("json"))
	}
	if got := hex.EncodeToString(c.SignBytes()); got != block("hex") {
		t.Errorf("the sign bytes:\n%s\nthe page's:\n%s", got, block("hex"))
	}
	path := filepath.Join(t.TempDir(), "card.json")
	os.WriteFile(path, []byte(block("json")), 0o644)
	if _, err := ReadCard(path); err != nil {
		t.Errorf("the page's card: %v", err)
	}
}

// TestHostPort: a p2p address is host:port with a port of 1 to 65535.
func TestHostPort(t *testing.T) {
	for a, ok := range map[string]bool{"h.example:1": true, "h.example:65535": true, "10.0.0.1:26656": true, "[::1]:26656": true,
		"h.example:0": false, "h.example:65536": false, "h.example": false, ":26656": false, "a@h:1": false, "h/x:1": false} {
		if err := checkHostPort(a); (err == nil) != ok {
			t.Errorf("%q: %v", a, err)
		}
	}
}
