package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/evote/evote/election"
)

// Client is a client of a node's API. What a node says is not trusted
// further than the caller checks it: DKG checks that the manifest is the
// election's, and a receipt is verified by chain.VerifyReceipt.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client of the node at base (for example
// http://127.0.0.1:8080). hc nil is a client with no overall timeout: a
// submission waits for its commit (the node bounds that wait at 60 s), and
// the caller's context ends everything.
func NewClient(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node %q: want a URL such as http://127.0.0.1:8080", base)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: strings.TrimRight(base, "/"), hc: hc}, nil
}

// Base returns the node's base URL.
func (c *Client) Base() string { return c.base }

// maxAnswer bounds an answer read into memory (the record is streamed).
const maxAnswer = 64 << 20

// do sends a request and decodes a 2xx answer into v; another answer is an
// *Error. It returns the status.
func (c *Client) do(ctx context.Context, method, path, contentType string, body []byte, v any) (int, error) {
	resp, err := c.send(ctx, method, path, contentType, body)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("node %s: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, c.errorOf(method, path, resp.StatusCode, raw)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return resp.StatusCode, fmt.Errorf("node %s: %s %s: %w", c.base, method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *Client) send(ctx context.Context, method, path, contentType string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", c.base, err)
	}
	return resp, nil
}

func (c *Client) errorOf(method, path string, status int, raw []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status, raw: raw}
	if json.Unmarshal(raw, &e.Body) != nil || e.Body.Error == "" {
		e.Body = ErrorBody{Error: strings.TrimSpace(string(raw))}
	}
	return e
}

func (c *Client) get(ctx context.Context, path string, v any) error {
	_, err := c.do(ctx, http.MethodGet, path, "", nil, v)
	return err
}

func electionPath(id election.ID, tail string) string {
	return "/api/v1/elections/" + id.String() + tail
}

// Status is GET /api/v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.get(ctx, "/api/v1/status", &st); err != nil {
		return nil, err
	}
	if st.ChainID == "" {
		return nil, fmt.Errorf("node %s: the status names no chain", c.base)
	}
	return &st, nil
}

// Elections is GET /api/v1/elections.
func (c *Client) Elections(ctx context.Context) ([]ElectionSummary, error) {
	var l ElectionList
	if err := c.get(ctx, "/api/v1/elections", &l); err != nil {
		return nil, err
	}
	return l.Elections, nil
}

// Election is GET /api/v1/elections/{id}.
func (c *Client) Election(ctx context.Context, id election.ID) (*ElectionDetail, error) {
	var d ElectionDetail
	if err := c.get(ctx, electionPath(id, ""), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Roll is GET /api/v1/elections/{id}/roll: up to limit voters (at most
// election.MaxRollPage) from offset, in ascending order of key.
func (c *Client) Roll(ctx context.Context, id election.ID, offset, limit int) (*RollPage, error) {
	var p RollPage
	if err := c.get(ctx, electionPath(id, fmt.Sprintf("/roll?offset=%d&limit=%d", offset, limit)), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// DKG is GET /api/v1/elections/{id}/dkg, checked: the manifest it carries
// must hash to id (the client derives the id itself and trusts no node's
// word for it).
func (c *Client) DKG(ctx context.Context, id election.ID) (*DKG, error) {
	var m DKG
	if err := c.get(ctx, electionPath(id, "/dkg"), &m); err != nil {
		return nil, err
	}
	if got, err := m.Manifest.ID(); err != nil || got != id || m.Election != id {
		return nil, fmt.Errorf("node %s served a manifest that is not the one of election %v", c.base, id)
	}
	return &m, nil
}

// Tally is GET /api/v1/elections/{id}/tally; Tally.Aggregates lists the
// decoded ciphertexts.
func (c *Client) Tally(ctx context.Context, id election.ID) (*Tally, error) {
	var t Tally
	if err := c.get(ctx, electionPath(id, "/tally"), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Result is GET /api/v1/elections/{id}/result (ErrNotFound until the
// result is derived).
func (c *Client) Result(ctx context.Context, id election.ID) (*Result, error) {
	var r Result
	if err := c.get(ctx, electionPath(id, "/result"), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Voter is GET /api/v1/elections/{id}/voters/{key} (ErrNotFound if the
// voter is not on the roll and has not voted).
func (c *Client) Voter(ctx context.Context, id election.ID, voter election.VoterPublicKey) (*VoterStatus, error) {
	var vs VoterStatus
	if err := c.get(ctx, electionPath(id, "/voters/"+voter.String()), &vs); err != nil {
		return nil, err
	}
	return &vs, nil
}

// Record is GET /api/v1/elections/{id}/record: the election record
// (docs/spec/record.md) as a stream, which the caller closes. A record cut
// short by the node does not parse.
func (c *Client) Record(ctx context.Context, id election.ID) (io.ReadCloser, error) {
	path := electionPath(id, "/record")
	resp, err := c.send(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, c.errorOf(http.MethodGet, path, resp.StatusCode, raw)
	}
	return resp.Body, nil
}

// Receipt is GET /api/v1/receipts/{code}: a committed transaction's
// receipt, waiting up to wait for its commit. A transaction the node holds
// in its mempool but has not committed within the wait is an error that
// matches ErrPending; one the node does not know at all (never committed
// there, not in its mempool: lost with the mempool of a node that
// restarted, or never submitted there) matches ErrNotFound, and its client
// must submit it again.
func (c *Client) Receipt(ctx context.Context, code TxHash, wait time.Duration) (*Receipt, error) {
	path := "/api/v1/receipts/" + code.String()
	if wait > 0 {
		path += "?wait=" + wait.String()
	}
	var r Receipt
	status, err := c.do(ctx, http.MethodGet, path, "", nil, &r)
	if err == nil && status != http.StatusOK {
		return nil, &Error{Method: http.MethodGet, Path: path, Status: status,
			Body: ErrorBody{Error: "admitted to the node's mempool, not yet committed", TrackingCode: &code, State: ReceiptPending}}
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// SubmitOptions are the query of POST /api/v1/transactions.
type SubmitOptions struct {
	// Wait for the commit (the node waits at most 60 s).
	Wait bool
	// WaitFor, with Wait, bounds the node's wait below its own; an
	// answer not committed by then is an *Error of status 504 whose body
	// carries the tracking code.
	WaitFor time.Duration
	// NoReceipt: with Wait, answer without the receipt.
	NoReceipt bool
}

// Submit is POST /api/v1/transactions with the raw transaction. The answer
// is 202 (admitted) or, with Wait, 200 (committed). A refusal, at
// admission or in the block, is a *RefusedError (with the answer, whose
// tracking code is set); another non-2xx answer is an *Error, whose body
// carries the tracking code when it concerns the transaction (409 already
// submitted, 503 busy, 504 not committed within the wait).
func (c *Client) Submit(ctx context.Context, tx []byte, opt SubmitOptions) (*SubmitResponse, error) {
	q := url.Values{}
	if opt.Wait {
		q.Set("wait", "commit")
		if opt.WaitFor > 0 {
			q.Set("wait", opt.WaitFor.String())
		}
		if opt.NoReceipt {
			q.Set("receipt", "false")
		}
	}
	path := "/api/v1/transactions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var a SubmitResponse
	_, err := c.do(ctx, http.MethodPost, path, "application/octet-stream", tx, &a)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity {
		return c.refusal(e)
	}
	if err != nil {
		return nil, err
	}
	if a.Committed && a.Code.Code() != election.CodeOK {
		return &a, &RefusedError{Code: a.Code.Code(), Message: a.Error, Height: a.Height, TrackingCode: a.TrackingCode}
	}
	return &a, nil
}

// refusal reads a 422 answer: an ErrorBody (refused at admission) or a
// SubmitResponse (refused in its block, committed).
func (c *Client) refusal(e *Error) (*SubmitResponse, error) {
	var a SubmitResponse
	if err := json.Unmarshal(e.raw, &a); err != nil {
		return nil, fmt.Errorf("node %s: %s %s: %d answer: %w", c.base, e.Method, e.Path, e.Status, err)
	}
	code := a.Code.Code()
	if parsed, err := election.ParseCode(a.CodeName); err == nil && code == election.CodeOK {
		code = parsed
	}
	re := &RefusedError{Code: code, Message: a.Error, TrackingCode: a.TrackingCode}
	if a.Committed {
		re.Height = a.Height
	}
	return &a, re
}

// Committed is a transaction in a block.
type Committed struct {
	Height       int64
	TrackingCode TxHash
	// Again: the node already held these very bytes (submitted before,
	// for example by an earlier run of the same command).
	Again bool
}

// Commit submits tx, waits for its commit and returns the block it is in.
// A refusal is a *RefusedError. A transaction the node already holds (a
// resubmission after a restart), or whose commit takes longer than the
// node waits, is followed through its receipt, and submitted again if the
// node loses it (a restart empties the mempool); a busy node is asked
// again each second, up to 30 times.
func (c *Client) Commit(ctx context.Context, tx []byte) (*Committed, error) {
	busy, lost := 0, 0
	for {
		a, err := c.Submit(ctx, tx, SubmitOptions{Wait: true, NoReceipt: true})
		if err == nil {
			return &Committed{Height: a.Height, TrackingCode: a.TrackingCode}, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return nil, err
		}
		switch e.Status {
		case http.StatusConflict, http.StatusGatewayTimeout:
			if e.Body.TrackingCode == nil {
				return nil, fmt.Errorf("%w (and no tracking code)", err)
			}
			com, err := c.awaitCommit(ctx, *e.Body.TrackingCode)
			if errors.Is(err, ErrNotFound) && lost < 3 {
				lost++
				continue // the node lost it: submit the same bytes again
			}
			if com != nil {
				com.Again = e.Status == http.StatusConflict
			}
			return com, err
		case http.StatusServiceUnavailable:
			if busy < 30 {
				busy++
				if err := Sleep(ctx, time.Second); err != nil {
					return nil, err
				}
				continue
			}
		}
		return nil, err
	}
}

// awaitCommit waits (up to 5 minutes) for the receipt of a transaction the
// node holds; an error matching ErrNotFound means the node no longer
// knows it.
func (c *Client) awaitCommit(ctx context.Context, code TxHash) (*Committed, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var rec struct {
			Height int64   `json:"height"`
			Code   CodeNum `json:"code"`
			Log    string  `json:"log"`
		}
		path := "/api/v1/receipts/" + code.String() + "?wait=30s"
		status, err := c.do(ctx, http.MethodGet, path, "", nil, &rec)
		if err == nil && status == http.StatusOK {
			if rec.Code.Code() != election.CodeOK {
				return nil, &RefusedError{Code: rec.Code.Code(), Message: rec.Log, Height: rec.Height, TrackingCode: code}
			}
			return &Committed{Height: rec.Height, TrackingCode: code}, nil
		}
		var e *Error
		switch {
		case err == nil: // 202: still in the mempool
		case errors.As(err, &e) && e.Status == http.StatusNotFound:
			return nil, fmt.Errorf("waiting for the commit of %v: %w", code, err)
		case !errors.As(err, &e) || e.Status != http.StatusGatewayTimeout:
			return nil, fmt.Errorf("waiting for the commit of %v: %w", code, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting for the commit of %v: not committed within 5 minutes", code)
		}
		if err := Sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// PollEvery is how often WaitPhase looks.
const PollEvery = 300 * time.Millisecond

// PhaseIn is a WaitPhase predicate: the election is in one of phases.
func PhaseIn(phases ...election.Phase) func(*ElectionDetail) bool {
	return func(d *ElectionDetail) bool { return slices.Contains(phases, d.Phase) }
}

// WaitPhase polls the election until ok holds of its detail (for example
// PhaseIn(...)), or until ctx ends.
func (c *Client) WaitPhase(ctx context.Context, id election.ID, ok func(*ElectionDetail) bool) (*ElectionDetail, error) {
	for {
		d, err := c.Election(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok(d) {
			return d, nil
		}
		if err := Sleep(ctx, PollEvery); err != nil {
			return nil, err
		}
	}
}

// Sleep waits d, or until ctx is done (then it returns ctx's error): the
// pause of the clients that poll a node.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
