package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/wallet"
)

// walletReceiptTag is the version of the wallet's receipt files
// (docs/spec/wallet-receipt.md).
const walletReceiptTag = "evote/v1/wallet-receipt"

// maxReceiptFile bounds a receipt file: the ballot and a block's commit
// signed by up to a few hundred validators.
const maxReceiptFile = 8 << 20

// walletReceipt is what the wallet keeps of a cast ballot: where and by
// whom it was cast, the validator set the wallet trusted when it cast it,
// and the chain's receipt (nil while the ballot is not known committed).
type walletReceipt struct {
	Version      string                `json:"version"`
	Node         string                `json:"node"`
	ChainID      string                `json:"chain_id"`
	Election     election.ID           `json:"election"`
	Voter        wallet.VoterPublicKey `json:"voter"` // "evote-voter:..." (or "ed25519:..."); another role's key is refused
	KeyName      string                `json:"key_name"`
	Seq          uint64                `json:"seq"`
	TrackingCode string                `json:"tracking_code"`
	CastAt       time.Time             `json:"cast_at"`
	Validators   []api.Validator       `json:"trusted_validators"`
	Receipt      *chain.Receipt        `json:"receipt"`
}

// errBadWalletReceipt wraps every failure of a receipt file's checks.
var errBadWalletReceipt = errors.New("receipt check failed")

func readWalletReceipt(path string) (*walletReceipt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxReceiptFile+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxReceiptFile {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxReceiptFile)
	}
	return parseWalletReceipt(raw)
}

// parseWalletReceipt decodes a receipt file and checks its form.
func parseWalletReceipt(raw []byte) (*walletReceipt, error) {
	var r walletReceipt
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: not a receipt file: %v", errBadWalletReceipt, err)
	}
	if r.Version != walletReceiptTag {
		return nil, fmt.Errorf("%w: version %q, want %q", errBadWalletReceipt, r.Version, walletReceiptTag)
	}
	if r.Voter.IsZero() {
		return nil, fmt.Errorf("%w: no voter", errBadWalletReceipt)
	}
	if b, err := hex.DecodeString(r.TrackingCode); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: tracking code %q is not 64 hex digits", errBadWalletReceipt, r.TrackingCode)
	}
	return &r, nil
}

// receiptPath is where the receipt of a ballot is kept.
func receiptPath(dir string, r *walletReceipt) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s.json", r.Election.String()[:12], r.TrackingCode[:16]))
}

func writeWalletReceipt(path string, r *walletReceipt) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// checkOffline verifies the receipt with nothing but the file (and, if
// given, a trusted validator set from elsewhere, such as a genesis file):
// the chain's receipt verifies against the trusted set (chain.VerifyReceipt:
// Merkle proof, header, commit signatures of more than 2/3 of the power),
// and its transaction is this voter's ballot in this election with this
// sequence number and tracking code. It returns the ballot's body.
func (r *walletReceipt) checkOffline(trusted *cmttypes.ValidatorSet) (*election.BallotBody, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errBadWalletReceipt, fmt.Sprintf(format, args...))
	}
	if r.Receipt == nil {
		return nil, bad("the ballot's commit is not recorded yet (pending): check it with --node")
	}
	if trusted == nil {
		set, err := validatorSet(r.Validators)
		if err != nil {
			return nil, bad("trusted validators: %v", err)
		}
		trusted = set
	}
	if err := chain.VerifyReceipt(r.Receipt, trusted, r.ChainID); err != nil {
		return nil, bad("%v", err)
	}
	rec := r.Receipt
	if rec.TrackingCode != r.TrackingCode {
		return nil, bad("the chain's receipt is for %s, the ballot is %s", rec.TrackingCode, r.TrackingCode)
	}
	env, err := election.DecodeTx(rec.Tx())
	if err != nil {
		return nil, bad("the transaction: %v", err)
	}
	if env.Kind != election.KindBallot || env.Signer != r.Voter.Key() || !env.Verify(r.ChainID) {
		return nil, bad("the transaction is not a ballot signed by %s", r.Voter)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		return nil, bad("the ballot: %v", err)
	}
	bb := body.(*election.BallotBody)
	if bb.Election != r.Election || bb.Seq != r.Seq {
		return nil, bad("the ballot is for election %s with sequence number %d, the file says %s and %d", bb.Election, bb.Seq, r.Election, r.Seq)
	}
	if rec.Code != election.CodeOK {
		return nil, bad("the node recorded the ballot as rejected: %s: %s", rec.Code, rec.Log)
	}
	return bb, nil
}
