package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// A trustee's directory holds its public keys (trustee.yaml, what the
// official puts in the manifest) and its secrets sealed under a passphrase
// (trustee.sealed, docs/spec/trustee-state.md): the identity key, the
// encryption key, and per election the deal, the dealer's polynomial until
// the share is derived, and the secret share.

const (
	trusteeStateTag  = "evote/v1/trustee-state"
	trusteeSealed    = "trustee.sealed"
	trusteePublic    = "trustee.yaml"
	maxTrusteeSealed = 16 << 20
)

// trusteeState is the plaintext of trustee.sealed.
type trusteeState struct {
	Version       string                           `json:"version"`
	Name          string                           `json:"name"`
	Identity      string                           `json:"identity"`       // election.PrivateKey text form
	EncryptionKey string                           `json:"encryption_key"` // hex of tally.TrusteeEncryptionKey
	Elections     map[string]*trusteeElectionState `json:"elections"`      // by election id
}

// trusteeElectionState is a trustee's part in one election.
type trusteeElectionState struct {
	Index uint32 `json:"index"`
	// Deal is the deal this trustee posts (hex of its tally encoding). It
	// is kept before it is submitted, so that a restarted trustee posts the
	// same deal and never a second one.
	Deal string `json:"deal,omitempty"`
	// DealerSecret is the polynomial behind Deal (hex), needed to answer
	// complaints and derive the share; it is erased once the share is.
	DealerSecret string `json:"dealer_secret,omitempty"`
	// Share is the trustee's secret share x_j (hex of tally.PrivateKey),
	// once the key ceremony has fixed the joint key.
	Share string `json:"share,omitempty"`
	// JointKey is the joint key (hex) the share belongs to.
	JointKey string `json:"joint_key,omitempty"`
}

// trusteeKeys are the decoded long-term keys of a trustee.
type trusteeKeys struct {
	identity *election.PrivateKey
	enc      *tally.TrusteeEncryptionKey
}

func (s *trusteeState) keys() (*trusteeKeys, error) {
	id, err := election.ParsePrivateKey(s.Identity)
	if err != nil {
		return nil, fmt.Errorf("trustee state: identity: %w", err)
	}
	b, err := hex.DecodeString(s.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("trustee state: encryption key: %w", err)
	}
	enc := new(tally.TrusteeEncryptionKey)
	if err := enc.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("trustee state: encryption key: %w", err)
	}
	return &trusteeKeys{identity: id, enc: enc}, nil
}

// trusteeStore is a trustee's sealed state file, opened with its
// passphrase. Every save rewrites the file atomically (a new file synced
// to disk, then renamed over the old one) with the KDF parameters it was
// created with.
type trusteeStore struct {
	dir        string
	passphrase []byte
	kdf        wallet.KDFParams
	state      *trusteeState
	lock       *os.File // held from open to close
}

// close releases the store's lock.
func (s *trusteeStore) close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

var errTrusteeExists = errors.New("a trustee is already initialised there")

// initTrusteeStore creates a new trustee in dir: fresh identity and
// encryption keys, sealed, and the public keys in trustee.yaml.
func initTrusteeStore(dir, name string, passphrase []byte, kdf wallet.KDFParams) (*trusteeStore, error) {
	if name == "" || len(name) > election.MaxTrusteeNameLen {
		return nil, fmt.Errorf("--name must be 1..%d bytes", election.MaxTrusteeNameLen)
	}
	if _, err := os.Stat(filepath.Join(dir, trusteeSealed)); err == nil {
		return nil, fmt.Errorf("%w: %s", errTrusteeExists, filepath.Join(dir, trusteeSealed))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	id, err := election.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	enc, err := tally.GenerateTrusteeEncryptionKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	idText, _ := id.MarshalText()
	encBytes, err := enc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	s := &trusteeStore{dir: dir, passphrase: passphrase, kdf: kdf, state: &trusteeState{
		Version: trusteeStateTag, Name: name, Identity: string(idText), EncryptionKey: hex.EncodeToString(encBytes),
		Elections: map[string]*trusteeElectionState{},
	}}
	if err := s.save(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, trusteePublic), []byte(s.publicYAML()), 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// lockTrusteeDir takes an exclusive lock on DIR/trustee.lock, so that two
// runs of one trustee never act on its sealed state at once (two deals
// made by two processes would leave one of them without the polynomial of
// the deal on the chain).
func lockTrusteeDir(dir string) (*os.File, error) {
	f, err := lockFile(filepath.Join(dir, "trustee.lock"), false)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("another evote process is using the trustee in %s", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, nil
}

// openTrusteeStore opens dir's sealed state with the passphrase and holds
// the directory's lock until close.
func openTrusteeStore(dir string, passphrase []byte) (*trusteeStore, error) {
	path := filepath.Join(dir, trusteeSealed)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no trustee in %s (run `evote trustee init --dir %s` first)", dir, dir)
	}
	lock, err := lockTrusteeDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := openSealedState(dir, path, passphrase)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func openSealedState(dir, path string, passphrase []byte) (*trusteeStore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sealed, err := io.ReadAll(io.LimitReader(f, maxTrusteeSealed+1))
	f.Close()
	if err != nil {
		return nil, err
	}
	if len(sealed) > maxTrusteeSealed {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxTrusteeSealed)
	}
	kdf, err := wallet.SealedParams(sealed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	plain, err := wallet.Open(passphrase, sealed)
	if errors.Is(err, wallet.ErrPassphrase) {
		return nil, fmt.Errorf("%s: wrong passphrase (or the file was changed)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := decodeTrusteeState(plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &trusteeStore{dir: dir, passphrase: passphrase, kdf: kdf, state: st}, nil
}

// decodeTrusteeState parses and checks the plaintext of a sealed state.
func decodeTrusteeState(b []byte) (*trusteeState, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st trusteeState
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("trustee state: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trustee state: data after the JSON object")
	}
	if st.Version != trusteeStateTag {
		return nil, fmt.Errorf("trustee state: version %q, want %q", st.Version, trusteeStateTag)
	}
	if _, err := st.keys(); err != nil {
		return nil, err
	}
	if st.Elections == nil {
		st.Elections = map[string]*trusteeElectionState{}
	}
	for id, es := range st.Elections {
		if _, err := election.ParseID(id); err != nil || es == nil || es.Index == 0 {
			return nil, fmt.Errorf("trustee state: bad entry for election %q", id)
		}
	}
	return &st, nil
}

// save seals the state and replaces the file atomically.
func (s *trusteeStore) save() error {
	plain, err := json.Marshal(s.state)
	if err != nil {
		return err
	}
	sealed, err := wallet.Seal(s.passphrase, plain, s.kdf, rand.Reader)
	clear(plain)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, trusteeSealed), 0o600, func(w io.Writer) error {
		_, err := w.Write(sealed)
		return err
	})
}

// election returns the trustee's entry for id, making it if needed.
func (s *trusteeStore) election(id election.ID, index uint32) *trusteeElectionState {
	es := s.state.Elections[id.String()]
	if es == nil {
		es = &trusteeElectionState{Index: index}
		s.state.Elections[id.String()] = es
	}
	return es
}

// publicYAML is the trustee's entry for the manifest's trustees.members.
func (s *trusteeStore) publicYAML() string {
	k, err := s.state.keys()
	if err != nil {
		return ""
	}
	return fmt.Sprintf("# The public keys of trustee %q: an official lists them under\n# trustees.members in the election manifest.\n- name: %q\n  identity: %s\n  encryption_key: %s\n",
		s.state.Name, s.state.Name, k.identity.TrusteePublic(), election.EncryptionKeyOf(k.enc.Public()))
}

// testKDF is the Argon2id setting of --insecure-test-kdf: cheap enough for
// tests that seal many times, worthless against guessing.
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// trusteePassphrase reads the passphrase: --passphrase-file, else
// EVOTE_PASSPHRASE, else a prompt on the terminal (twice if confirm).
func trusteePassphrase(e *env, confirm bool) ([]byte, error) {
	return e.readPassphrase(passphraseSource{file: e.v.GetString("passphrase-file"), envVar: "EVOTE_PASSPHRASE",
		what: "passphrase of the trustee's sealed secrets"}, confirm)
}
