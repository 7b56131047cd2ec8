package election

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Keys by role. Voters, trustees and authorities all sign with Ed25519
// keys (PublicKey), but each role's public key is its own type with its own
// text form, as tailscale's "nodekey:" is: "evote-voter:", "evote-trustee:"
// or "evote-authority:" followed by 64 lowercase hex digits. A key of one
// role is refused where another role's is expected (ErrWrongRole), so an
// official's key pasted into a roll file, or a voter's into a manifest's
// trustees, is caught at parse time. The binary (canonical) encoding is
// the same 32 bytes for every role: the role is known from the place, and
// manifest ids and signatures do not depend on it.
//
// Before 2026-12-04 these keys were written "ed25519:" and 64 hex digits
// (PublicKey's text form) in manifests, genesis files and the API, and
// voters' as "evote-voter:" in rolls, receipts and keystores. The parsers
// still accept the "ed25519:" form for every role (files already hold it);
// they write only the role's form. See docs/spec/keys.md.

// ErrWrongRole: a key written with another role's prefix (for example an
// "evote-trustee:" key in a roll file). It is wrapped together with
// ErrInvalidKey.
var ErrWrongRole = errors.New("election: key of another role")

// Role is whose key a public key is.
type Role uint8

// The roles that hold keys.
const (
	RoleVoter Role = iota + 1
	RoleTrustee
	RoleAuthority
)

var roleNames = [...]string{RoleVoter: "voter", RoleTrustee: "trustee", RoleAuthority: "authority"}

// String names the role.
func (r Role) String() string {
	if r == 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("role(%d)", uint8(r))
	}
	return roleNames[r]
}

// Prefix returns the role's text prefix, for example "evote-voter:".
func (r Role) Prefix() string { return "evote-" + r.String() + ":" }

// parseRoleKey parses the text form of a public key of role want: its
// prefix, or the "ed25519:" form of keys written before the roles had
// their own, and 64 lowercase hex digits.
func parseRoleKey(s string, want Role) (PublicKey, error) {
	if rest, ok := strings.CutPrefix(s, want.Prefix()); ok {
		b, err := decodeLowerHex(rest, PublicKeySize)
		if err != nil {
			return PublicKey{}, fmt.Errorf("%w: %s key: %v", ErrInvalidKey, want, err)
		}
		return PublicKeyFromBytes(b)
	}
	if strings.HasPrefix(s, publicKeyPrefix) {
		return ParsePublicKey(s)
	}
	for r := RoleVoter; r <= RoleAuthority; r++ {
		if strings.HasPrefix(s, r.Prefix()) {
			return PublicKey{}, fmt.Errorf("%w: %w: %s key %q where a %s key (%q) is expected",
				ErrInvalidKey, ErrWrongRole, r, abbrev(s), want, want.Prefix())
		}
	}
	return PublicKey{}, fmt.Errorf("%w: %s key %q does not start with %q", ErrInvalidKey, want, abbrev(s), want.Prefix())
}

// abbrev shortens a text for an error message.
func abbrev(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// roleKeyText is the text form of k as a key of role r.
func roleKeyText(r Role, k PublicKey) string { return r.Prefix() + hex.EncodeToString(k[:]) }

// VoterPublicKey is a voter's credential key as the roll lists it. Its
// text form is "evote-voter:" and 64 lowercase hex digits.
type VoterPublicKey PublicKey

// ParseVoterPublicKey parses the text form (or the older "ed25519:" form).
func ParseVoterPublicKey(s string) (VoterPublicKey, error) {
	k, err := parseRoleKey(s, RoleVoter)
	return VoterPublicKey(k), err
}

// Key returns the Ed25519 key, as transactions' signers hold it.
func (k VoterPublicKey) Key() PublicKey { return PublicKey(k) }

// Bytes returns a copy of the 32-byte encoding.
func (k VoterPublicKey) Bytes() []byte { return PublicKey(k).Bytes() }

// IsZero reports whether k is the zero value (no key).
func (k VoterPublicKey) IsZero() bool { return k == VoterPublicKey{} }

// String returns the text form.
func (k VoterPublicKey) String() string { return roleKeyText(RoleVoter, PublicKey(k)) }

// MarshalText returns the text form.
func (k VoterPublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form.
func (k *VoterPublicKey) UnmarshalText(b []byte) error {
	p, err := ParseVoterPublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// TrusteePublicKey is a trustee's identity key, as the manifest lists it:
// it signs the trustee's DKG messages and decryption shares. Its text form
// is "evote-trustee:" and 64 lowercase hex digits.
type TrusteePublicKey PublicKey

// ParseTrusteePublicKey parses the text form (or the older "ed25519:"
// form).
func ParseTrusteePublicKey(s string) (TrusteePublicKey, error) {
	k, err := parseRoleKey(s, RoleTrustee)
	return TrusteePublicKey(k), err
}

// Key returns the Ed25519 key, as transactions' signers hold it.
func (k TrusteePublicKey) Key() PublicKey { return PublicKey(k) }

// Bytes returns a copy of the 32-byte encoding.
func (k TrusteePublicKey) Bytes() []byte { return PublicKey(k).Bytes() }

// IsZero reports whether k is the zero value (no key).
func (k TrusteePublicKey) IsZero() bool { return k == TrusteePublicKey{} }

// String returns the text form.
func (k TrusteePublicKey) String() string { return roleKeyText(RoleTrustee, PublicKey(k)) }

// MarshalText returns the text form.
func (k TrusteePublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form.
func (k *TrusteePublicKey) UnmarshalText(b []byte) error {
	p, err := ParseTrusteePublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// AuthorityPublicKey is an election authority's (an official's) key, as
// the genesis and the manifest name it: it signs the create-election,
// append-voters, open and close transactions. Its text form is
// "evote-authority:" and 64 lowercase hex digits.
type AuthorityPublicKey PublicKey

// ParseAuthorityPublicKey parses the text form (or the older "ed25519:"
// form).
func ParseAuthorityPublicKey(s string) (AuthorityPublicKey, error) {
	k, err := parseRoleKey(s, RoleAuthority)
	return AuthorityPublicKey(k), err
}

// Key returns the Ed25519 key, as transactions' signers hold it.
func (k AuthorityPublicKey) Key() PublicKey { return PublicKey(k) }

// Bytes returns a copy of the 32-byte encoding.
func (k AuthorityPublicKey) Bytes() []byte { return PublicKey(k).Bytes() }

// IsZero reports whether k is the zero value (no key).
func (k AuthorityPublicKey) IsZero() bool { return k == AuthorityPublicKey{} }

// String returns the text form.
func (k AuthorityPublicKey) String() string { return roleKeyText(RoleAuthority, PublicKey(k)) }

// MarshalText returns the text form.
func (k AuthorityPublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form.
func (k *AuthorityPublicKey) UnmarshalText(b []byte) error {
	p, err := ParseAuthorityPublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// VoterPublic, TrusteePublic and AuthorityPublic return the public half of
// k as a key of that role.
func (k *PrivateKey) VoterPublic() VoterPublicKey { return VoterPublicKey(k.pub) }

// TrusteePublic returns the public half as a trustee's identity key.
func (k *PrivateKey) TrusteePublic() TrusteePublicKey { return TrusteePublicKey(k.pub) }

// AuthorityPublic returns the public half as an authority's key.
func (k *PrivateKey) AuthorityPublic() AuthorityPublicKey { return AuthorityPublicKey(k.pub) }

// check applies PublicKeyFromBytes's rules (canonical, not of small order).
func (k VoterPublicKey) check() error     { return PublicKey(k).check() }
func (k TrusteePublicKey) check() error   { return PublicKey(k).check() }
func (k AuthorityPublicKey) check() error { return PublicKey(k).check() }

// SignerRole returns the role whose key signs transactions of kind k: the
// voter signs ballots, trustees their DKG messages and decryption shares,
// the authority everything else. It is 0 for an unknown kind.
func (k Kind) SignerRole() Role {
	switch k {
	case KindBallot:
		return RoleVoter
	case KindDKGDeal, KindDKGComplaints, KindDKGResponses, KindDecryptionShares:
		return RoleTrustee
	case KindCreateElection, KindAppendVoters, KindOpen, KindClose, KindValidatorUpdate:
		return RoleAuthority
	}
	return 0
}

// KeyText returns the text form of k as a key of role r: r's prefix and 64
// hex digits, or PublicKey's "ed25519:" form if r is not a role.
func (r Role) KeyText(k PublicKey) string {
	if r == 0 || int(r) >= len(roleNames) {
		return k.String()
	}
	return roleKeyText(r, k)
}

// SignerKey is a transaction's signer with the role its kind gives it
// (Kind.SignerRole), for showing the signer in text: its text form is the
// role's ("evote-voter:..." for a ballot's signer). UnmarshalText reads any
// role's form, or the older "ed25519:" form (Role 0).
type SignerKey struct {
	Role Role
	Key  PublicKey
}

// SignerOf returns the signer of a transaction of kind k.
func SignerOf(k Kind, signer PublicKey) SignerKey {
	return SignerKey{Role: k.SignerRole(), Key: signer}
}

// String returns the text form.
func (s SignerKey) String() string { return s.Role.KeyText(s.Key) }

// MarshalText returns the text form.
func (s SignerKey) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses the text form of a key of any role.
func (s *SignerKey) UnmarshalText(b []byte) error {
	text := string(b)
	for r := RoleVoter; r <= RoleAuthority; r++ {
		if strings.HasPrefix(text, r.Prefix()) {
			k, err := parseRoleKey(text, r)
			if err != nil {
				return err
			}
			*s = SignerKey{Role: r, Key: k}
			return nil
		}
	}
	k, err := ParsePublicKey(text)
	if err != nil {
		return err
	}
	*s = SignerKey{Key: k}
	return nil
}
