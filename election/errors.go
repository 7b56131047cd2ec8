package election

import (
	"errors"
	"fmt"
)

// Sentinel errors of decoding and lookups. Callers branch on them with
// errors.Is; the wrapped message says where the problem is. A transaction
// that fails to decode is rejected with a result code (codes.go), never
// with one of these errors: they serve the decoders, the manifest parser
// and the queries.
var (
	// ErrMalformed: the bytes do not parse as the expected message.
	ErrMalformed = errors.New("election: malformed encoding")
	// ErrTrailingBytes: a message is followed by unexpected bytes.
	ErrTrailingBytes = errors.New("election: trailing bytes")
	// ErrWrongTag: the message carries another type or version tag.
	ErrWrongTag = errors.New("election: wrong message tag")
	// ErrLimit: a count or size exceeds what the format allows.
	ErrLimit = errors.New("election: limit exceeded")
	// ErrNonCanonical: a value that has another, canonical encoding (for
	// example a public key that is not a canonical curve point encoding).
	ErrNonCanonical = errors.New("election: non-canonical encoding")
	// ErrUnknownKind: a transaction of a kind this version does not know.
	ErrUnknownKind = errors.New("election: unknown transaction kind")
	// ErrInvalidManifest: a manifest that parses but breaks a rule of
	// Manifest.Validate.
	ErrInvalidManifest = errors.New("election: invalid manifest")
	// ErrInvalidKey: a key that does not parse or is not allowed.
	ErrInvalidKey = errors.New("election: invalid key")
	// ErrNotFound: a query for an election, voter or transaction that the
	// state does not hold.
	ErrNotFound = errors.New("election: not found")
)

// ManifestError is a manifest rule that does not hold, with the place in
// the manifest it concerns (for example "contests[1].max_selections"). It
// matches ErrInvalidManifest with errors.Is, and its cause (Err) if it has
// one, for example ErrWrongRole for a key of another role.
type ManifestError struct {
	Field string
	Msg   string
	Err   error // the cause, or nil
}

func (e *ManifestError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%v: %s", ErrInvalidManifest, e.Msg)
	}
	return fmt.Sprintf("%v: %s: %s", ErrInvalidManifest, e.Field, e.Msg)
}

func (e *ManifestError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidManifest}
	}
	return []error{ErrInvalidManifest, e.Err}
}

func manifestErr(field, format string, args ...any) error {
	return &ManifestError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
