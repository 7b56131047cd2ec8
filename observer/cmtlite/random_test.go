package cmtlite

import (
	"bytes"
	stded25519 "crypto/ed25519"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Randomized differential tests: random headers, validator sets and
// commits, written by CometBFT, must be read, hashed and verified by
// cmtlite exactly as by CometBFT. The seed is fixed, so a failure repeats.

func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(uint64(len(t.Name())), 2026))
}

// randBytes is n random bytes, nil for none.
func randBytes(r *rand.Rand, n int) []byte {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randHash is mostly a hash or nothing, sometimes of a wrong length.
func randHash(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return nil
	case 1:
		return randBytes(r, 1+r.IntN(40))
	default:
		return randBytes(r, HashSize)
	}
}

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(8) {
	case 0:
		return time.Time{}
	case 1: // whole seconds
		return time.Unix(r.Int64N(4e9), 0).UTC()
	case 2: // any year from 1 to 9999
		return time.Unix(minTimestampSeconds+r.Int64N(maxTimestampSeconds-minTimestampSeconds), r.Int64N(1e9)).UTC()
	default:
		return time.Unix(1.7e9+r.Int64N(1e8), r.Int64N(1e9)).UTC()
	}
}

func randInt64(r *rand.Rand) int64 {
	switch r.IntN(6) {
	case 0:
		return -r.Int64N(1 << 62)
	case 1:
		return 0
	case 2:
		return int64(r.Uint64() >> 1)
	default:
		return 1 + r.Int64N(1e6)
	}
}

func randChainID(r *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789-_.é\"\\<>\u00e0\u2603"
	rs := []rune(chars)
	n := r.IntN(12)
	if r.IntN(8) == 0 {
		n = 40 + r.IntN(20)
	}
	var b []rune
	for range n {
		b = append(b, rs[r.IntN(len(rs))])
	}
	return string(b)
}

func randBlockID(r *rand.Rand) cmttypes.BlockID {
	if r.IntN(8) == 0 {
		return cmttypes.BlockID{}
	}
	total := uint32(1 + r.IntN(4))
	if r.IntN(8) == 0 {
		total = r.Uint32()
	}
	return cmttypes.BlockID{Hash: randHash(r), PartSetHeader: cmttypes.PartSetHeader{Total: total, Hash: randHash(r)}}
}

func randHeader(r *rand.Rand) cmttypes.Header {
	v := cmtversion.Consensus{Block: BlockProtocol}
	if r.IntN(10) == 0 {
		v.Block = r.Uint64N(20)
	}
	if r.IntN(2) == 0 {
		v.App = r.Uint64()
	}
	addr := randBytes(r, AddressSize)
	if r.IntN(10) == 0 {
		addr = randBytes(r, r.IntN(40))
	}
	t := randTime(r)
	if r.IntN(20) == 0 { // out of the Timestamp range: no hash
		t = time.Date([]int{0, 10000}[r.IntN(2)], 1+time.Month(r.IntN(12)), 1, 0, 0, 0, r.IntN(1e9), time.UTC)
	}
	return cmttypes.Header{
		Version: v, ChainID: randChainID(r), Height: randInt64(r), Time: t,
		LastBlockID: randBlockID(r), LastCommitHash: randHash(r), DataHash: randHash(r),
		ValidatorsHash: randHash(r), NextValidatorsHash: randHash(r), ConsensusHash: randHash(r),
		AppHash: randBytes(r, r.IntN(64)), LastResultsHash: randHash(r), EvidenceHash: randHash(r),
		ProposerAddress: addr,
	}
}

// liteHeader is h as a cmtlite Header, field by field.
func liteHeader(h *cmttypes.Header) *Header {
	return &Header{
		Version: Version{Block: h.Version.Block, App: h.Version.App}, ChainID: h.ChainID, Height: h.Height, Time: h.Time,
		LastBlockID: liteBlockID(h.LastBlockID), LastCommitHash: h.LastCommitHash, DataHash: h.DataHash,
		ValidatorsHash: h.ValidatorsHash, NextValidatorsHash: h.NextValidatorsHash, ConsensusHash: h.ConsensusHash,
		AppHash: h.AppHash, LastResultsHash: h.LastResultsHash, EvidenceHash: h.EvidenceHash, ProposerAddress: h.ProposerAddress,
	}
}

// TestRandomHeaders: ParseHeader accepts a header CometBFT wrote exactly
// when CometBFT reads and validates it, and Hash is CometBFT's, valid
// header or not.
func TestRandomHeaders(t *testing.T) {
	r := newRand(t)
	var valid int
	for i := range 3000 {
		h := randHeader(r)
		if got, want := liteHeader(&h).Hash(), h.Hash(); !bytes.Equal(got, want) {
			t.Fatalf("header %d %+v: hash %X, CometBFT's %X", i, h, got, want)
		}
		if h.Time.Year() > 9999 {
			continue // no JSON for it
		}
		data, err := cmtjson.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		_, werr := cmtHeader(data)
		_, err = ParseHeader(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("header %d %s: cmtlite %v; CometBFT %v", i, data, err, werr)
		}
		if err == nil {
			sameHeader(t, data)
			valid++
		} else if !errIsOneOf(err, ErrMalformed, ErrInvalid) {
			t.Fatalf("header %d: error %v", i, err)
		}
	}
	if valid < 300 || valid > 2700 {
		t.Fatalf("%d valid headers of 3000: the generator is off", valid)
	}
}

// testKey is a validator's key in both libraries.
type testKey struct {
	priv stded25519.PrivateKey
	val  Validator
}

func randValidators(r *rand.Rand) []testKey {
	n := 1 + r.IntN(10)
	keys := make([]testKey, n)
	for i := range keys {
		priv := stded25519.NewKeyFromSeed(randBytes(r, 32))
		power := 1 + r.Int64N(100)
		switch r.IntN(6) {
		case 0:
			power = 10 // equal powers: ordered by address
		case 1:
			power = 1 + r.Int64N(MaxTotalVotingPower/16)
		}
		keys[i] = testKey{priv: priv, val: Validator{PubKey: [32]byte(priv.Public().(stded25519.PublicKey)), Power: power}}
	}
	return keys
}

// randCommit is a commit by keys (in the set's order cvals) of block id at
// height, each signature for the block, for nil or absent at random, and
// then spoiled in one way at random. It returns the commit and what the
// verifier is asked: chain id, block id and height.
func randCommit(r *rand.Rand, keys map[string]stded25519.PrivateKey, cvals *cmttypes.ValidatorSet) (*cmttypes.Commit, string, cmttypes.BlockID, int64) {
	chainID := randChainID(r)
	id := cmttypes.BlockID{Hash: randBytes(r, HashSize), PartSetHeader: cmttypes.PartSetHeader{Total: uint32(1 + r.IntN(3)), Hash: randBytes(r, HashSize)}}
	height := 1 + r.Int64N(1e6)
	c := &cmttypes.Commit{Height: height, Round: int32(r.IntN(3)), BlockID: id}
	pCommit := r.IntN(101)
	for _, v := range cvals.Validators {
		s := cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
		switch x := r.IntN(100); {
		case x < pCommit:
			s.BlockIDFlag = cmttypes.BlockIDFlagCommit
		case x < pCommit+(100-pCommit)/2:
			s.BlockIDFlag = cmttypes.BlockIDFlagNil
		}
		if s.BlockIDFlag != cmttypes.BlockIDFlagAbsent {
			s.ValidatorAddress = v.Address
			s.Timestamp = randTime(r)
		}
		c.Signatures = append(c.Signatures, s)
	}
	for i := range c.Signatures {
		s := &c.Signatures[i]
		if s.BlockIDFlag != cmttypes.BlockIDFlagAbsent {
			s.Signature = stded25519.Sign(keys[string(cvals.Validators[i].Address)], c.VoteSignBytes(chainID, int32(i)))
		}
	}
	i := r.IntN(len(c.Signatures))
	s := &c.Signatures[i]
	present := s.BlockIDFlag != cmttypes.BlockIDFlagAbsent
	switch r.IntN(16) {
	case 0:
		chainID += "x"
	case 1:
		height++
	case 2:
		c.Height = height + 1 // a commit of another height, signed for it
	case 3:
		id = randBlockID(r)
	case 4:
		c.Signatures = c.Signatures[:len(c.Signatures)-1]
	case 5:
		c.Signatures = append(c.Signatures, cmttypes.NewCommitSigAbsent())
	case 6:
		if present {
			s.Signature[r.IntN(len(s.Signature))] ^= 1 << r.IntN(8)
		}
	case 7:
		if present {
			s.ValidatorAddress = cvals.Validators[r.IntN(cvals.Size())].Address
		}
	case 8: // the flag changed after signing
		if present {
			s.BlockIDFlag = cmttypes.BlockIDFlagCommit + cmttypes.BlockIDFlagNil - s.BlockIDFlag
		}
	case 9:
		if present {
			s.Signature = s.Signature[:r.IntN(len(s.Signature))]
		}
	case 10:
		if present {
			s.Signature = append(s.Signature, 0)
		}
	case 11: // signed by another validator
		if present {
			j := r.IntN(cvals.Size())
			s.Signature = stded25519.Sign(keys[string(cvals.Validators[j].Address)], c.VoteSignBytes(chainID, int32(i)))
		}
	case 12:
		if present {
			s.Timestamp = s.Timestamp.Add(time.Nanosecond)
		}
	case 13:
		s.BlockIDFlag = cmttypes.BlockIDFlag(r.IntN(6))
	}
	return c, chainID, id, height
}

// TestRandomCommits: for random validator sets and commits, the sets hash
// the same, the commits parse alike and VerifyCommitLightAllSignatures
// accepts exactly the commits CometBFT's accepts.
func TestRandomCommits(t *testing.T) {
	r := newRand(t)
	var accepted, refused, unparsed int
	for i := range 3000 {
		tks := randValidators(r)
		keys := make(map[string]stded25519.PrivateKey)
		var vals []Validator
		for _, k := range tks {
			vals = append(vals, k.val)
			keys[string(k.val.Address())] = k.priv
		}
		s, cs := bothSets(t, vals)
		for j, v := range cs.Validators {
			if w := s.Validators()[j]; !bytes.Equal(w.PubKey[:], v.PubKey.Bytes()) || w.Power != v.VotingPower {
				t.Fatalf("set %d: validator %d differs from CometBFT's", i, j)
			}
		}
		cc, chainID, id, height := randCommit(r, keys, cs)
		data, err := cmtjson.Marshal(cc)
		if err != nil {
			t.Fatal(err)
		}
		wc, werr := cmtCommit(data)
		_, err = ParseCommit(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("commit %d %s: cmtlite %v; CometBFT %v", i, data, err, werr)
		}
		if err != nil {
			if !errIsOneOf(err, ErrMalformed, ErrInvalid) {
				t.Fatalf("commit %d: error %v", i, err)
			}
			unparsed++
			continue
		}
		c := sameCommit(t, data, chainID)
		if sameVerdict(t, s, cs, chainID, id, height, c, wc) {
			accepted++
		} else {
			refused++
			err := s.VerifyCommitLightAllSignatures(chainID, liteBlockID(id), height, c)
			if !errIsOneOf(err, ErrSignatureCount, ErrCommitHeight, ErrCommitBlockID, ErrValidatorAddr, ErrSignature, ErrNotEnoughSigned) {
				t.Fatalf("commit %d: error %v", i, err)
			}
		}
	}
	t.Logf("%d accepted, %d refused, %d not parsed", accepted, refused, unparsed)
	if accepted < 300 || refused < 300 || unparsed < 30 {
		t.Fatalf("%d accepted, %d refused, %d not parsed: the generator is off", accepted, refused, unparsed)
	}
}

func errIsOneOf(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// TestValidatorSetRefused: NewValidatorSet refuses the sets CometBFT's
// NewValidatorSet panics on or whose ValidateBasic fails.
func TestValidatorSetRefused(t *testing.T) {
	k := func(b byte) [32]byte { return [32]byte(cmted25519.GenPrivKeyFromSecret([]byte{b}).PubKey().Bytes()) }
	for _, vals := range [][]Validator{
		nil,
		{{PubKey: k(1), Power: 0}},
		{{PubKey: k(1), Power: -1}},
		{{PubKey: k(1), Power: 1}, {PubKey: k(1), Power: 2}},
		{{PubKey: k(1), Power: MaxTotalVotingPower + 1}},
		{{PubKey: k(1), Power: MaxTotalVotingPower}, {PubKey: k(2), Power: 1}},
	} {
		_, err := NewValidatorSet(vals)
		if !errors.Is(err, ErrValidators) {
			t.Errorf("%v: %v", vals, err)
		}
		var cv []*cmttypes.Validator
		for _, v := range vals {
			cv = append(cv, cmttypes.NewValidator(cmted25519.PubKey(v.PubKey[:]), v.Power))
		}
		if noPanic(func() error { return cmttypes.NewValidatorSet(cv).ValidateBasic() }) == nil {
			t.Errorf("%v: CometBFT takes it", vals)
		}
	}
	if _, err := NewValidatorSet([]Validator{{PubKey: k(1), Power: MaxTotalVotingPower}}); err != nil {
		t.Errorf("the largest power: %v", err)
	}
}

// TestConstants: cmtlite's limits are CometBFT's.
func TestConstants(t *testing.T) {
	if MaxSignatureSize != cmttypes.MaxSignatureSize || MaxChainIDLen != cmttypes.MaxChainIDLen ||
		MaxTotalVotingPower != cmttypes.MaxTotalVotingPower || BlockIDFlag(cmtproto.BlockIDFlagNil) != BlockIDFlagNil ||
		BlockIDFlag(cmtproto.BlockIDFlagCommit) != BlockIDFlagCommit || BlockIDFlag(cmtproto.BlockIDFlagAbsent) != BlockIDFlagAbsent {
		t.Fatal("a limit differs from CometBFT's")
	}
}
