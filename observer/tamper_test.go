package observer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// Records whose blocks are well signed but whose transactions break a rule:
// what a dishonest validator set could write. The verifier must name the
// transaction and the rule, and the state machine must agree.

// resign re-signs a transaction whose body f changed, with key.
func resign(t *testing.T, chainID string, tx []byte, key *election.PrivateKey, f func(body []byte) []byte) []byte {
	t.Helper()
	d, err := election.DecodeTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	d.Signer = key.Public()
	d.Body = f(bytes.Clone(d.Body))
	copy(d.Signature[:], key.Sign(election.SigningMessage(chainID, d.Kind, d.Body)))
	out, _ := d.MarshalBinary()
	return out
}

func voterKey(i int, seed string) *election.PrivateKey {
	return election.DeriveKey(fmt.Sprintf("synthetic voter %d %s", i, seed))
}

// ballotContest0 is where contest 0 starts in a ballot body: election id,
// seq, count, length.
const ballotContest0 = 32 + 8 + 4 + 4

// optionProof is where option k's proof starts in an approval contest of
// five options (max one per option): tag, count, then per option A, B (64)
// and the proof (two branches: 4 points, 1 challenge, 2 responses = 224).
func optionProof(k int) int { return 17 + 2 + k*(64+224) + 64 }

func TestVerifyTamperedSignedRecords(t *testing.T) {
	const seed = "tamper"
	chainID := "evote-synthetic"
	var copied []byte // ballot 5, for the copy attack
	cases := []struct {
		name   string
		kind   election.Kind
		n      int
		mutate func(tx []byte) []byte
		code   observer.VerifyCode
		rule   election.Code // the result code, for a rejection
		item   string
	}{
		{"ballot proof", election.KindBallot, 4, func(tx []byte) []byte {
			return resign(t, chainID, tx, voterKey(4, seed), func(b []byte) []byte {
				b[ballotContest0+optionProof(2)+4*32+32] ^= 1 // option 2's first response, low byte
				return b
			})
		}, observer.CodeBadBallotProof, 0, "(ballot of evote-voter:"},
		{"ballot signature", election.KindBallot, 5, func(tx []byte) []byte {
			c := bytes.Clone(tx)
			c[len(c)-1] ^= 1
			return c
		}, observer.CodeBadTxSignature, 0, "(ballot of evote-voter:"},
		{"ballot copied from another voter", election.KindBallot, 6, func(tx []byte) []byte {
			// Voter 5's contests under voter 6's signature: their proofs
			// are bound to voter 5.
			return resign(t, chainID, tx, voterKey(6, seed), func(b []byte) []byte {
				d, _ := election.DecodeTx(copied)
				return append(b[:32+8], d.Body[32+8:]...)
			})
		}, observer.CodeBadBallotProof, 0, "(ballot of evote-voter:"},
		{"ballot from a key not on the roll", election.KindBallot, 3, func(tx []byte) []byte {
			return outsiderBallot(t, seed)
		}, observer.CodeNotOnRoll, election.CodeNotOnRoll, "(ballot of evote-voter:"},
		{"ballot included twice", election.KindBallot, 7, func(tx []byte) []byte {
			return bytes.Clone(copied)
		}, observer.CodeRejected, election.CodeStaleSequence, "(ballot of evote-voter:"},
		{"ballot after the close", election.KindDecryptionShares, 0, func(tx []byte) []byte {
			return bytes.Clone(copied) // a ballot where trustee 1's shares were
		}, observer.CodeRejected, election.CodeClosed, "(ballot of evote-voter:"},
		{"decryption share", election.KindDecryptionShares, 1, func(tx []byte) []byte {
			return resign(t, chainID, tx, election.DeriveKey("synthetic trustee 3 "+seed), func(b []byte) []byte {
				b[32+4+4+158-32] ^= 1 // share 0's last scalar, low byte
				return b
			})
		}, observer.CodeBadShare, election.CodeBadDecryptionShare, "(decryption-shares of trustee 3)"},
		{"stale revote", election.KindBallot, 9, func(tx []byte) []byte {
			return resign(t, chainID, tx, voterKey(1, seed), func(b []byte) []byte {
				b[32+7] = 1 // seq 1 again
				return b
			})
		}, observer.CodeRejected, election.CodeStaleSequence, "(ballot of evote-voter:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := synthetic.Write(&buf, synthetic.Options{Seed: seed, Voters: 8, Revotes: 2, PerBlock: 4, Workers: 2,
				Mutate: func(kind election.Kind, n int, tx []byte) []byte {
					if kind == election.KindBallot && n == 5 {
						copied = tx
					}
					if kind == tc.kind && n == tc.n {
						return tc.mutate(tx)
					}
					return tx
				}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = observer.Verify(context.Background(), bytes.NewReader(buf.Bytes()), observer.VerifyOptions{})
			var ve *observer.VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, observer.ErrVerify) {
				t.Fatalf("want a VerifyError, got %v", err)
			}
			if !strings.Contains(ve.Item, tc.item) || !errors.Is(err, tc.code) || ve.Code != tc.code || ve.Rule != tc.rule {
				t.Fatalf("error %q (code %s, rule %s); want item %q, code %s, rule %s", err, ve.Code, ve.Rule, tc.item, tc.code, tc.rule)
			}
			t.Log(err)
			_, merr := observer.Verify(context.Background(), bytes.NewReader(buf.Bytes()), observer.VerifyOptions{Machine: true})
			var me *observer.VerifyError
			// Same item and code; the result code of a ballot included
			// twice may differ (the machine sees a duplicate transaction
			// before the sequence or the phase).
			if !errors.As(merr, &me) || me.Item != ve.Item || me.Code != ve.Code {
				t.Fatalf("the state machine disagrees: %v\nrules: %v", merr, err)
			}
		})
	}
}

// TestBatchNamesEveryBadBallot: two bad ballots in one batch; the first in
// chain order is named.
func TestBatchNamesTheFirstBadBallot(t *testing.T) {
	const seed = "two bad"
	var buf bytes.Buffer
	_, err := synthetic.Write(&buf, synthetic.Options{Seed: seed, Voters: 6, PerBlock: 6, Workers: 2,
		Mutate: func(kind election.Kind, n int, tx []byte) []byte {
			if kind == election.KindBallot && (n == 2 || n == 4) {
				return resign(t, "evote-synthetic", tx, voterKey(n, seed), func(b []byte) []byte {
					b[ballotContest0+optionProof(1)+4*32+32] ^= 1
					return b
				})
			}
			return tx
		}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = observer.Verify(context.Background(), bytes.NewReader(buf.Bytes()), observer.VerifyOptions{})
	var ve *observer.VerifyError
	if !errors.As(err, &ve) || !strings.Contains(ve.Item, "tx 2 (ballot") || !errors.Is(err, observer.CodeBadBallotProof) {
		t.Fatalf("got %v", err)
	}
}

// outsiderBallot is a well-formed ballot of the synthetic election of seed
// from a key not on its roll (the same seed makes the same election, and
// so the same joint key).
func outsiderBallot(t *testing.T, seed string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := synthetic.Write(&buf, synthetic.Options{Seed: seed, Voters: 1}); err != nil {
		t.Fatal(err)
	}
	rr := observer.NewRecordReader(bytes.NewReader(buf.Bytes()))
	head, err := rr.ReadHead()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
	}
	claims, err := rr.ReadClaims()
	if err != nil {
		t.Fatal(err)
	}
	man, err := election.DecodeManifest(head.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := hex.DecodeString(claims.JointKey)
	key, err := tally.PublicKeyFromBytes(kb)
	if err != nil {
		t.Fatal(err)
	}
	el, err := wallet.NewElection(head.ChainID, man, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wallet.BuildBallot(el, wallet.NewVoterKey(election.DeriveKey("not on the roll")), 1, [][]uint64{{1, 0, 0, 0, 0}}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b.Tx
}
