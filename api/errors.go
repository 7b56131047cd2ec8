package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/evote/evote/election"
)

// ErrNotFound matches (errors.Is) an *Error whose status is 404: no such
// election, voter, receipt or result (yet).
var ErrNotFound = errors.New("api: not found")

// ErrPending matches (errors.Is) the *Error of status 202 that GET
// /api/v1/receipts/{code} answers for a transaction in the node's mempool:
// admitted, not yet committed.
var ErrPending = errors.New("api: admitted, not yet committed")

// ErrRefused matches (errors.Is) every *RefusedError.
var ErrRefused = errors.New("api: transaction refused")

// Error is a non-2xx answer of the node, with the API's error body.
type Error struct {
	Method string
	Path   string
	Status int
	Body   ErrorBody
	raw    []byte // the answer as read
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Body.Error)
}

// Is reports whether target is ErrNotFound and the status is 404, or
// ErrPending and the status is 202.
func (e *Error) Is(target error) bool {
	return (target == ErrNotFound && e.Status == http.StatusNotFound) ||
		(target == ErrPending && e.Status == http.StatusAccepted)
}

// Transient reports whether the node may answer otherwise later: 5xx
// (busy, timed out, unavailable).
func (e *Error) Transient() bool { return e.Status >= 500 }

// RefusedError is a transaction the chain refused, at admission (Height 0)
// or in its block, with its stable result code (docs/spec/codes.md).
// Callers branch on Code (errors.As), or on ErrRefused (errors.Is).
type RefusedError struct {
	Code         election.Code
	Message      string
	Height       int64 // the block that refused it; 0 at admission
	TrackingCode TxHash
}

func (e *RefusedError) Error() string {
	where := "at admission"
	if e.Height > 0 {
		where = fmt.Sprintf("in block %d", e.Height)
	}
	return fmt.Sprintf("rejected %s: %s (code %d): %s", where, e.Code, uint32(e.Code), e.Message)
}

// Is reports whether target is ErrRefused, or a *RefusedError with the
// same code.
func (e *RefusedError) Is(target error) bool {
	var re *RefusedError
	if errors.As(target, &re) {
		return re.Code == e.Code
	}
	return target == ErrRefused
}

// RefusalCode returns the result code of a refusal, if err is one.
func RefusalCode(err error) (election.Code, bool) {
	var re *RefusedError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// Transient reports whether err may pass by itself: the node unreachable,
// or answering 5xx.
func Transient(err error) bool {
	var ue *url.Error
	var e *Error
	return errors.As(err, &ue) || (errors.As(err, &e) && e.Transient())
}
