package receiptlite

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evote/evote/election"
)

// ErrGenesis wraps the failures of GenesisAnchor.
var ErrGenesis = errors.New("genesis")

// genesisFingerprintTag is observer's (docs/spec/record.md).
const genesisFingerprintTag = "evote/v1/genesis-fingerprint"

// Anchor is a chain's genesis as the record's head gives it: its
// validators, the trust anchor of receipts, and its fingerprint, which the
// election's organisers publish for comparison.
type Anchor struct {
	ChainID     string      `json:"chain_id"`
	Fingerprint string      `json:"fingerprint"`
	Validators  []Validator `json:"validators"`
}

// GenesisAnchor reads the head of an election's record (the feed's hello
// carries it: observer.RecordHead) and returns its chain's genesis
// validators and fingerprint, computed as observer's
// RecordHead.GenesisFingerprint (its tests hold the two to each other).
// With pin not empty, the fingerprint must be pin.
func GenesisAnchor(head []byte, pin string) (*Anchor, error) {
	var h struct {
		ChainID string `json:"chain_id"`
		Genesis struct {
			AppState   json.RawMessage `json:"app_state"`
			Validators []struct {
				PubKey []byte `json:"pub_key"`
				Power  int64  `json:"power"`
			} `json:"validators"`
		} `json:"genesis"`
	}
	if err := json.Unmarshal(head, &h); err != nil {
		return nil, fmt.Errorf("%w: the record's head: %v", ErrGenesis, err)
	}
	canon, err := election.CanonicalAppState(h.Genesis.AppState)
	if err != nil {
		return nil, fmt.Errorf("%w: app state: %v", ErrGenesis, err)
	}
	d := sha256.New()
	d.Write([]byte(genesisFingerprintTag))
	d.Write(binary.BigEndian.AppendUint32(nil, uint32(len(h.ChainID))))
	d.Write([]byte(h.ChainID))
	d.Write(binary.BigEndian.AppendUint32(nil, uint32(len(canon))))
	d.Write(canon)
	a := &Anchor{ChainID: h.ChainID}
	for _, v := range h.Genesis.Validators {
		if len(v.PubKey) != 32 {
			return nil, fmt.Errorf("%w: a validator key of %d bytes", ErrGenesis, len(v.PubKey))
		}
		d.Write(v.PubKey)
		d.Write(binary.BigEndian.AppendUint64(nil, uint64(v.Power)))
		addr := sha256.Sum256(v.PubKey)
		a.Validators = append(a.Validators, Validator{Address: hex.EncodeToString(addr[:20]), PubKey: v.PubKey, Power: v.Power})
	}
	a.Fingerprint = hex.EncodeToString(d.Sum(nil))
	if _, err := ValidatorSet(a.Validators); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGenesis, err)
	}
	if pin != "" && pin != a.Fingerprint {
		return nil, fmt.Errorf("%w: the node's chain has genesis fingerprint %s, not %s", ErrGenesis, a.Fingerprint, pin)
	}
	return a, nil
}
