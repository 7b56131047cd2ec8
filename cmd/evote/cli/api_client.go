package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// apiClient is the voter's client of a node's HTTP API (web/openapi.yaml).
// Nothing it is told is trusted further than it can be checked: the
// manifest must hash to the election id, and receipts are verified against
// the validator set.
type apiClient struct {
	base string
	hc   *http.Client
}

func newAPIClient(base string) (*apiClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--node %q: want a URL such as http://127.0.0.1:8080", base)
	}
	// No overall timeout: a submission waits for its commit (the node
	// bounds that wait at 60 s); the command's context ends everything.
	return &apiClient{base: strings.TrimRight(base, "/"), hc: &http.Client{}}, nil
}

// apiError is a non-2xx answer with the API's error body.
type apiError struct {
	Method, Path string
	Status       int
	Message      string  `json:"error"`
	Code         *uint32 `json:"code"`
	CodeName     string  `json:"code_name"`
	TrackingCode string  `json:"tracking_code"`
}

func (e *apiError) Error() string {
	if e.CodeName != "" {
		return fmt.Sprintf("%s (code %d): %s", e.CodeName, *e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// do sends a request and decodes a 2xx answer into v; other answers are
// *apiError.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body []byte, v any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("node %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("node %s: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		if json.Unmarshal(raw, ae) != nil || ae.Message == "" {
			ae.Message = strings.TrimSpace(string(raw))
		}
		return resp.StatusCode, ae
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return resp.StatusCode, fmt.Errorf("node %s: %s %s: %w", c.base, method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *apiClient) get(ctx context.Context, path string, v any) error {
	_, err := c.do(ctx, http.MethodGet, path, "", nil, v)
	return err
}

// notFound reports whether err is the API's 404.
func notFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// transientNodeError reports whether err may pass by itself: the node
// unreachable, or answering 5xx.
func transientNodeError(err error) bool {
	var ue *url.Error
	var ae *apiError
	return errors.As(err, &ue) || (errors.As(err, &ae) && ae.Status >= 500)
}

// nodeStatus is GET /api/v1/status.
type nodeStatus struct {
	ChainID    string           `json:"chain_id"`
	Height     int64            `json:"height"`
	AppHash    string           `json:"app_hash"`
	BlockTime  time.Time        `json:"block_time"`
	Validators []validatorEntry `json:"validators"`
}

// validatorEntry is a validator as the status shows it and as a wallet
// receipt records it: address (hex), Ed25519 public key (base64), power.
type validatorEntry struct {
	Address string `json:"address"`
	PubKey  string `json:"pub_key"`
	Power   int64  `json:"power"`
}

// validatorSet builds the CometBFT validator set of entries, checking that
// every address is its key's.
func validatorSet(entries []validatorEntry) (*cmttypes.ValidatorSet, error) {
	if len(entries) == 0 {
		return nil, errors.New("no validators")
	}
	if len(entries) > maxValidators {
		return nil, fmt.Errorf("%d validators, at most %d", len(entries), maxValidators)
	}
	var vals []*cmttypes.Validator
	for _, v := range entries {
		pk, err := base64.StdEncoding.DecodeString(v.PubKey)
		if err != nil || len(pk) != cmted25519.PubKeySize {
			return nil, fmt.Errorf("validator %s: public key %q is not a base64 Ed25519 key", v.Address, v.PubKey)
		}
		val := cmttypes.NewValidator(cmted25519.PubKey(pk), v.Power)
		if !strings.EqualFold(val.Address.String(), v.Address) {
			return nil, fmt.Errorf("validator %s: its key's address is %s", v.Address, val.Address)
		}
		vals = append(vals, val)
	}
	return newValidatorSet(vals)
}

// maxValidators bounds the validator sets a wallet accepts.
const maxValidators = 1000

// newValidatorSet is cmttypes.NewValidatorSet for untrusted input: it
// panics on duplicates and on powers out of range, which are errors here.
func newValidatorSet(vals []*cmttypes.Validator) (set *cmttypes.ValidatorSet, err error) {
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		if v.VotingPower <= 0 || v.VotingPower > cmttypes.MaxTotalVotingPower/int64(max(len(vals), 1)) {
			return nil, fmt.Errorf("validator %s: voting power %d out of range", v.Address, v.VotingPower)
		}
		if seen[string(v.Address)] {
			return nil, fmt.Errorf("validator %s appears twice", v.Address)
		}
		seen[string(v.Address)] = true
	}
	defer func() {
		if p := recover(); p != nil {
			set, err = nil, fmt.Errorf("validator set: %v", p)
		}
	}()
	set = cmttypes.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("validator set: %w", err)
	}
	return set, nil
}

func (c *apiClient) status(ctx context.Context) (*nodeStatus, error) {
	var st nodeStatus
	if err := c.get(ctx, "/api/v1/status", &st); err != nil {
		return nil, err
	}
	if st.ChainID == "" {
		return nil, fmt.Errorf("node %s: the status names no chain", c.base)
	}
	return &st, nil
}

// electionDetail is the part of GET /api/v1/elections/{id} a voter needs.
type electionDetail struct {
	ID       election.ID     `json:"id"`
	Manifest json.RawMessage `json:"manifest"`
	Phase    string          `json:"phase"`
	JointKey string          `json:"joint_key"`
}

func (c *apiClient) election(ctx context.Context, id election.ID) (*electionDetail, error) {
	var d electionDetail
	err := c.get(ctx, "/api/v1/elections/"+id.String(), &d)
	if notFound(err) {
		return nil, fmt.Errorf("node %s has no election %s", c.base, id)
	}
	return &d, err
}

// voterStatus returns the voter's status, or nil if the node says the
// voter is not on the roll (and has not voted).
func (c *apiClient) voterStatus(ctx context.Context, id election.ID, voter election.PublicKey) (*election.VoterStatus, error) {
	var vs election.VoterStatus
	err := c.get(ctx, "/api/v1/elections/"+id.String()+"/voters/"+voter.String(), &vs)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &vs, nil
}

// receipt returns a transaction's receipt, waiting up to wait for its
// commit; nil if the node does not know it.
func (c *apiClient) receipt(ctx context.Context, trackingCode string, wait time.Duration) (*chain.Receipt, error) {
	path := "/api/v1/receipts/" + trackingCode
	if wait > 0 {
		path += "?wait=" + wait.String()
	}
	var r chain.Receipt
	err := c.get(ctx, path, &r)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// submitAnswer is the answer to POST /api/v1/transactions.
type submitAnswer struct {
	Error        string         `json:"error"`
	TrackingCode string         `json:"tracking_code"`
	Code         uint32         `json:"code"`
	CodeName     string         `json:"code_name"`
	Committed    bool           `json:"committed"`
	Height       int64          `json:"height"`
	Receipt      *chain.Receipt `json:"receipt"`
}

// submit posts tx; with wait, the node answers once it is committed.
// A rejection (at admission or in its block) is an *apiError carrying the
// result code.
func (c *apiClient) submit(ctx context.Context, tx []byte, wait bool) (int, *submitAnswer, error) {
	path := "/api/v1/transactions"
	if wait {
		path += "?wait=commit"
	}
	body, _ := json.Marshal(map[string]string{"tx": base64.StdEncoding.EncodeToString(tx)})
	var a submitAnswer
	status, err := c.do(ctx, http.MethodPost, path, "application/json", body, &a)
	return status, &a, err
}
