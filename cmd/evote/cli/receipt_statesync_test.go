package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/receiptfile"
)

// TestReceiptFromStateSyncedReplica: a one-validator network writes a
// snapshot every 5 blocks; the authority adds a validator (a node that
// never runs, of power 1); an election runs past a snapshot; a replica
// joins by state sync from that snapshot, so it does not hold the block
// that announced the change. A ballot's receipt from the validator carries
// the change's hop and checks against the genesis; the replica's receipt
// of the same ballot lacks it and fails the check against the genesis
// (the block names validators the genesis set never reached), and checks
// against the set in force (what evote vote records from the replica's
// status).
func TestReceiptFromStateSyncedReplica(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	org, gen, authKey, changedAt := changedNetwork(t, ctx, dir, "evote-rcpt-sync", "--snapshot-interval", "5", "--snapshot-keep", "10")

	authority, err := keyfile.ReadAuthority(authKey)
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, harness.NewAPI(org.client), sampleSpec(authority, "receipt-sync", 2))
	if err != nil {
		t.Fatal(err)
	}
	st, err := org.client.Status(ctx)
	if err != nil || st.Height < changedAt+5+1 {
		t.Fatalf("the validator at height %d after the election's setup (change in block %d): %v", st.Height, changedAt, err)
	}

	// The replica: state sync from the validator's RPC (given twice: the
	// light client wants a witness).
	conf, err := cometconf.Load(org.home)
	if err != nil {
		t.Fatal(err)
	}
	rpc := strings.Replace(conf.RPC.ListenAddress, "tcp://", "http://", 1)
	replica := initOrg(t, dir, "copy", "127.0.0.4")
	if code, out, errs := runArgs(t, "node", "join", "--home", replica.home, "--genesis", gen, "--card", org.card,
		"--replica", "--state-sync", "--state-sync-rpc", rpc+","+rpc); code != 0 {
		t.Fatalf("replica join: %d\n%s%s", code, out, errs)
	}
	replica.run(t)
	waitFor(t, 2*time.Minute, "the replica to catch up", func() (bool, error) {
		rs, err := replica.client.Status(ctx)
		return err == nil && rs.Height >= st.Height, err
	})

	b, _, err := e.Cast(ctx, 0, [][]uint64{{1, 0}, {1, 0, 0, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	code0 := api.TxHash(b.Hash)
	genChain, genesis, err := receiptfile.GenesisValidators(gen)
	if err != nil {
		t.Fatal(err)
	}
	full, err := org.client.Receipt(ctx, code0, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.ValidatorHops) != 1 {
		t.Fatalf("the validator's receipt has %d hops, want 1", len(full.ValidatorHops))
	}
	rec, err := receiptfile.ChainReceipt(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.VerifyReceipt(rec, genesis, genChain); err != nil {
		t.Fatalf("the validator's receipt against the genesis: %v", err)
	}
	var lacking *api.Receipt
	waitFor(t, time.Minute, "the replica's receipt", func() (bool, error) {
		lacking, err = replica.client.Receipt(ctx, code0, 10*time.Second)
		return err == nil && lacking.NextHeader != nil, err
	})
	if len(lacking.ValidatorHops) != 0 {
		t.Fatalf("the replica's receipt has %d hops; it does not hold the block of the change", len(lacking.ValidatorHops))
	}
	rec, err = receiptfile.ChainReceipt(lacking)
	if err != nil {
		t.Fatal(err)
	}
	err = chain.VerifyReceipt(rec, genesis, genChain)
	if !errors.Is(err, chain.ErrBadReceipt) {
		t.Fatalf("the replica's receipt without the hop against the genesis: %v", err)
	}
	t.Logf("the replica's receipt against the genesis: %v", err)
	rs, err := replica.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inForce, err := receiptfile.ValidatorSet(rs.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.VerifyReceipt(rec, inForce, genChain); err != nil || !bytes.Equal(inForce.Hash(), rec.Header.ValidatorsHash) {
		t.Fatalf("the replica's receipt against the set in force: %v", err)
	}
}

// runWith starts the node (`evote node`) with extra flags until stopped or
// the test ends.
func (o *orgNode) runWith(t *testing.T, flags ...string) {
	t.Helper()
	o.extra = flags
	o.run(t)
}
