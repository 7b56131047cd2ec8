package tally

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on them with errors.Is; the wrapped message
// says where the problem is.
var (
	// ErrMalformed: the bytes do not parse as the expected message.
	ErrMalformed = errors.New("tally: malformed encoding")
	// ErrNonCanonical: a scalar or point is not in its one canonical encoding.
	ErrNonCanonical = errors.New("tally: non-canonical encoding")
	// ErrTrailingBytes: a message is followed by unexpected bytes.
	ErrTrailingBytes = errors.New("tally: trailing bytes")
	// ErrWrongTag: the message carries another type or version tag.
	ErrWrongTag = errors.New("tally: wrong message tag")
	// ErrIdentity: the identity element where it would be unsafe.
	ErrIdentity = errors.New("tally: identity element not allowed")
	// ErrLimit: a count or size exceeds what the format allows.
	ErrLimit = errors.New("tally: limit exceeded")
	// ErrInvalidProof: a zero-knowledge proof does not verify.
	ErrInvalidProof = errors.New("tally: invalid proof")
	// ErrInvalidInput: the caller passed arguments that violate the API's
	// preconditions (for example a choice outside the allowed values).
	ErrInvalidInput = errors.New("tally: invalid input")
)

// VerifyError names which part of a statement failed to verify.
type VerifyError struct {
	// Item says what failed, for example "contest 2 option 4" or "sum".
	Item string
	// Err is the underlying sentinel (usually ErrInvalidProof).
	Err error
}

func (e *VerifyError) Error() string { return fmt.Sprintf("%s: %v", e.Item, e.Err) }
func (e *VerifyError) Unwrap() error { return e.Err }

// BatchError names the first item of a batch that failed.
type BatchError struct {
	Index   int   // position of the first failing item in the batch
	Err     error // why that item fails on its own
	Failing []int // positions of every failing item, in order
}

func (e *BatchError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

// dkgErrorCodes are the error codes of docs/spec/dkg.md in table order: an
// error's code is the first one it matches.
var dkgErrorCodes = []struct {
	err  error
	name string
}{
	{ErrDKGUnknownTrustee, "unknown-trustee"},
	{ErrDKGDuplicate, "duplicate"},
	{ErrDKGCommitmentCount, "commitment-count"},
	{ErrDKGShareSet, "share-set"},
	{ErrDKGUndecryptable, "undecryptable"},
	{ErrDKGBadShare, "bad-share"},
	{ErrDKGNoDeal, "no-deal"},
	{ErrDKGUnanswered, "unanswered"},
	{ErrDKGTooManyComplaints, "too-many-complaints"},
	{ErrDKGUnsolicited, "unsolicited"},
	{ErrDKGNotEnoughQualified, "not-enough-qualified"},
	{ErrDKGMissingShare, "missing-share"},
	{ErrInvalidProof, "invalid-proof"},
	{ErrIdentity, "identity"},
	{ErrNonCanonical, "non-canonical"},
	{ErrWrongTag, "wrong-tag"},
	{ErrTrailingBytes, "trailing-bytes"},
	{ErrLimit, "limit"},
	{ErrMalformed, "malformed"},
	{ErrInvalidInput, "invalid-input"},
}

// DKGErrorCode is the error code of docs/spec/dkg.md for an error of the
// key ceremony (an exclusion's reason, a failed ceremony), or "error".
func DKGErrorCode(err error) string {
	for _, r := range dkgErrorCodes {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "error"
}
