package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/internal/cometconf"
)

// TestNodeJoinStateSyncFlags: evote node join refuses state sync flags it
// cannot use before it writes anything: state sync for a validator, fewer
// than two RPC servers, a trusted height without its hash or a hash that is
// not 32 bytes. The home keeps no genesis and no [statesync] section.
func TestNodeJoinStateSyncFlags(t *testing.T) {
	dir := t.TempDir()
	authKey := filepath.Join(dir, "authority.key")
	code, out, errs := runArgs(t, "election", "authority-key", "--out", authKey)
	if code != 0 {
		t.Fatalf("authority-key: %s", errs)
	}
	member, home := filepath.Join(dir, "member"), filepath.Join(dir, "copy")
	for _, h := range []string{member, home} {
		if code, _, errs := runArgs(t, "node", "init", "--home", h, "--moniker", filepath.Base(h)); code != 0 {
			t.Fatalf("init: %s", errs)
		}
	}
	card := filepath.Join(member, "config", "node-card.json")
	gen := filepath.Join(dir, "genesis.json")
	if code, _, errs := runArgs(t, "network", "genesis", "--chain-id", "evote-copy", "--authority", strings.TrimSpace(out),
		"--card", card, "--out", gen); code != 0 {
		t.Fatalf("genesis: %s", errs)
	}
	base := []string{"node", "join", "--home", home, "--genesis", gen, "--card", card}
	two := "http://127.0.0.1:1,http://127.0.0.1:2"
	hash := strings.Repeat("ab", 32)
	for _, extra := range [][]string{
		{"--state-sync", "--state-sync-rpc", two, "--trust-height", "5", "--trust-hash", hash},
		{"--replica", "--state-sync", "--trust-height", "5", "--trust-hash", hash},
		{"--replica", "--state-sync", "--state-sync-rpc", "http://127.0.0.1:1", "--trust-height", "5", "--trust-hash", hash},
		{"--replica", "--state-sync", "--state-sync-rpc", two, "--trust-height", "5"},
		{"--replica", "--state-sync", "--state-sync-rpc", two, "--trust-height", "5", "--trust-hash", "abcd"},
		{"--replica", "--state-sync", "--state-sync-rpc", two, "--trust-hash", hash},
	} {
		if code, _, _ := runArgs(t, append(append([]string{}, base...), extra...)...); code == 0 {
			t.Errorf("join %v: accepted", extra)
		}
		if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err == nil {
			t.Fatalf("join %v: refused, but it copied the genesis", extra)
		}
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if conf.StateSync.Enable {
		t.Fatal("a refused join turned state sync on")
	}
	// With a trusted header given, join needs no member to answer.
	if code, _, errs := runArgs(t, append(base, "--replica", "--state-sync", "--state-sync-rpc", two, "--trust-height", "5", "--trust-hash", hash)...); code != 0 {
		t.Fatalf("join by state sync: %s", errs)
	}
	if conf, err = cometconf.Load(home); err != nil || !conf.StateSync.Enable || conf.StateSync.TrustHeight != 5 || len(conf.StateSync.RPCServers) != 2 {
		t.Fatalf("after join: %+v %v", conf.StateSync, err)
	}
}
