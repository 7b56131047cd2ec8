package wallet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A keystore holds a voter's named keys. At rest it is sealed as a whole
// with Seal (Argon2id + XChaCha20-Poly1305) under one passphrase; the
// plaintext is the canonical encoding of docs/spec/keystore.md:
//
//	u8 len ‖ "evote/v1/keystore" ‖ u32 n ‖ n × (u32 len ‖ name ‖ seed[32])
//
// with the entries in ascending byte order of name, no two with the same
// name or the same key. Nothing of a keystore is readable without the
// passphrase, not even the names: the file names no voter.
//
// This file is pure (no file system): the command line and the web wallet
// keep the sealed bytes where they keep files.
const keystoreTag = "evote/v1/keystore"

// Limits of a keystore.
const (
	MaxKeystoreKeys = 1024
	MaxKeyNameLen   = 64
)

// Errors of keystores.
var (
	// ErrKeystore: the plaintext of an opened keystore is malformed.
	ErrKeystore = errors.New("wallet: malformed keystore")
	// ErrKeyName: a key name that a keystore cannot hold.
	ErrKeyName = errors.New("wallet: invalid key name")
	// ErrKeyExists: the name, or the key, is in the keystore already.
	ErrKeyExists = errors.New("wallet: key already in the keystore")
	// ErrNoKey: no key of that name in the keystore.
	ErrNoKey = errors.New("wallet: no such key in the keystore")
)

// Keystore is an opened keystore: named voter keys, in ascending order of
// name.
type Keystore struct {
	entries []KeyEntry
}

// KeyEntry is one named key of a keystore.
type KeyEntry struct {
	Name string
	Key  *VoterKey
}

// NewKeystore returns an empty keystore.
func NewKeystore() *Keystore { return &Keystore{} }

// CheckKeyName checks a key name: 1 to 64 characters among ASCII letters,
// digits, '.', '_' and '-', not starting with '.' or '-'.
func CheckKeyName(name string) error {
	if name == "" || len(name) > MaxKeyNameLen {
		return fmt.Errorf("%w: %q: 1 to %d characters", ErrKeyName, name, MaxKeyNameLen)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("%w: %q starts with %q", ErrKeyName, name, name[0])
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: %q: only letters, digits, '.', '_' and '-'", ErrKeyName, name)
		}
	}
	return nil
}

// Entries returns the keys in ascending order of name. The slice is a
// copy; the keys are shared.
func (ks *Keystore) Entries() []KeyEntry { return slices.Clone(ks.entries) }

// Len is the number of keys.
func (ks *Keystore) Len() int { return len(ks.entries) }

// Names returns the key names in ascending order.
func (ks *Keystore) Names() []string {
	out := make([]string, len(ks.entries))
	for i, e := range ks.entries {
		out[i] = e.Name
	}
	return out
}

func (ks *Keystore) find(name string) (int, bool) {
	return slices.BinarySearchFunc(ks.entries, name, func(e KeyEntry, n string) int { return strings.Compare(e.Name, n) })
}

// Key returns the key of that name, or an error wrapping ErrNoKey.
func (ks *Keystore) Key(name string) (*VoterKey, error) {
	i, ok := ks.find(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q (the keystore has %s)", ErrNoKey, name, ks.describeNames())
	}
	return ks.entries[i].Key, nil
}

// Only returns the one key of a keystore that holds exactly one, for
// commands where naming it would be a chore.
func (ks *Keystore) Only() (KeyEntry, error) {
	if len(ks.entries) != 1 {
		return KeyEntry{}, fmt.Errorf("%w: the keystore has %s; name one", ErrNoKey, ks.describeNames())
	}
	return ks.entries[0], nil
}

func (ks *Keystore) describeNames() string {
	switch len(ks.entries) {
	case 0:
		return "no keys"
	case 1:
		return "one key, " + ks.entries[0].Name
	}
	return fmt.Sprintf("%d keys: %s", len(ks.entries), strings.Join(ks.Names(), ", "))
}

// NameOf returns the name under which key is kept, if it is.
func (ks *Keystore) NameOf(key VoterPublicKey) (string, bool) {
	for _, e := range ks.entries {
		if e.Key.Public() == key {
			return e.Name, true
		}
	}
	return "", false
}

// Add keeps key under name. A name or a key already in the keystore is an
// error wrapping ErrKeyExists, and the keystore is unchanged.
func (ks *Keystore) Add(name string, key *VoterKey) error {
	if err := CheckKeyName(name); err != nil {
		return err
	}
	if key == nil || key.k == nil {
		return fmt.Errorf("%w: no key", ErrKeystore)
	}
	i, found := ks.find(name)
	if found {
		return fmt.Errorf("%w: a key named %q", ErrKeyExists, name)
	}
	if other, ok := ks.NameOf(key.Public()); ok {
		return fmt.Errorf("%w: %v is kept as %q", ErrKeyExists, key.Public(), other)
	}
	if len(ks.entries) >= MaxKeystoreKeys {
		return fmt.Errorf("%w: a keystore holds at most %d keys", ErrKeystore, MaxKeystoreKeys)
	}
	ks.entries = slices.Insert(ks.entries, i, KeyEntry{Name: name, Key: key})
	return nil
}

// Generate draws a new key from rnd and keeps it under name.
func (ks *Keystore) Generate(name string, rnd io.Reader) (*VoterKey, error) {
	if err := CheckKeyName(name); err != nil {
		return nil, err
	}
	if _, found := ks.find(name); found {
		return nil, fmt.Errorf("%w: a key named %q", ErrKeyExists, name)
	}
	k, err := GenerateVoterKey(rnd)
	if err != nil {
		return nil, err
	}
	return k, ks.Add(name, k)
}

// Remove deletes the key of that name and returns it.
func (ks *Keystore) Remove(name string) (*VoterKey, error) {
	i, ok := ks.find(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoKey, name)
	}
	k := ks.entries[i].Key
	ks.entries = slices.Delete(ks.entries, i, i+1)
	return k, nil
}

// Merge adds every key of other under its name. It adds all or nothing:
// if a name or a key of other is in ks already (under any name), it
// returns an error wrapping ErrKeyExists naming the first, and ks is
// unchanged. A key that other holds under the same name as ks is skipped.
// It returns the names added.
func (ks *Keystore) Merge(other *Keystore) ([]string, error) {
	next := &Keystore{entries: slices.Clone(ks.entries)}
	var added []string
	for _, e := range other.entries {
		if i, ok := next.find(e.Name); ok && next.entries[i].Key.Equal(e.Key) {
			continue
		}
		if err := next.Add(e.Name, e.Key); err != nil {
			return nil, err
		}
		added = append(added, e.Name)
	}
	ks.entries = next.entries
	return added, nil
}

// MarshalBinary returns the plaintext of the keystore (the secret: seal it).
func (ks *Keystore) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 1+len(keystoreTag)+4+len(ks.entries)*(4+16+32))
	b = append(b, byte(len(keystoreTag)))
	b = append(b, keystoreTag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ks.entries)))
	for _, e := range ks.entries {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Name)))
		b = append(b, e.Name...)
		b = append(b, e.Key.k.Seed()...)
	}
	return b, nil
}

// DecodeKeystore parses the plaintext of a keystore. It accepts only the
// canonical encoding: the tag, names valid and in strictly ascending
// order, keys distinct, no trailing bytes. Errors wrap ErrKeystore.
func DecodeKeystore(b []byte) (*Keystore, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrKeystore, fmt.Sprintf(format, args...))
	}
	if len(b) < 1+len(keystoreTag)+4 || int(b[0]) != len(keystoreTag) || string(b[1:1+len(keystoreTag)]) != keystoreTag {
		return nil, bad("not an %s plaintext", keystoreTag)
	}
	b = b[1+len(keystoreTag):]
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	// Each entry takes at least 4+1+32 bytes: a count that the bytes left
	// cannot hold is refused before anything is allocated.
	if n > MaxKeystoreKeys || uint64(n)*(4+1+32) > uint64(len(b)) {
		return nil, bad("%d keys in %d bytes", n, len(b))
	}
	ks := &Keystore{entries: make([]KeyEntry, 0, n)}
	seen := make(map[VoterPublicKey]bool, n)
	for i := range n {
		if len(b) < 4 {
			return nil, bad("entry %d: truncated", i)
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if l > MaxKeyNameLen || uint64(l)+32 > uint64(len(b)) {
			return nil, bad("entry %d: name of %d bytes", i, l)
		}
		name := string(b[:l])
		seed := b[l : l+32]
		b = b[l+32:]
		if err := CheckKeyName(name); err != nil {
			return nil, bad("entry %d: %v", i, err)
		}
		if i > 0 && ks.entries[i-1].Name >= name {
			return nil, bad("entry %d: %q is not after %q", i, name, ks.entries[i-1].Name)
		}
		k, err := voterKeyFromSeed(seed)
		if err != nil {
			return nil, bad("entry %d: %v", i, err)
		}
		if seen[k.Public()] {
			return nil, bad("entry %d: the key of %q appears twice", i, name)
		}
		seen[k.Public()] = true
		ks.entries = append(ks.entries, KeyEntry{Name: name, Key: k})
	}
	if len(b) != 0 {
		return nil, bad("%d bytes after the last entry", len(b))
	}
	return ks, nil
}

// SealKeystore seals the keystore under passphrase (docs/spec/keystore.md).
func SealKeystore(ks *Keystore, passphrase []byte, p KDFParams, rnd io.Reader) ([]byte, error) {
	pt, err := ks.MarshalBinary()
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return Seal(passphrase, pt, p, rnd)
}

// OpenKeystore opens a sealed keystore. A wrong passphrase (or changed
// bytes) is ErrPassphrase, a file that is not sealed is ErrSealed, and a
// sealed secret that is not a keystore is ErrKeystore.
func OpenKeystore(passphrase, sealed []byte) (*Keystore, error) {
	pt, err := Open(passphrase, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return DecodeKeystore(pt)
}
