package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// apiNode is the officials' and trustees' client of a polling node's HTTP
// API: queries, and signed transactions submitted and waited for.
type apiNode struct{ *apiClient }

func newAPINode(base string) *apiNode {
	return &apiNode{&apiClient{base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: 90 * time.Second}}}
}

// txRejectedError is a transaction the chain refused, at admission or in
// its block, with its stable result code (docs/spec/codes.md).
type txRejectedError struct {
	What     string
	Code     election.Code
	Message  string
	Height   int64 // the block that refused it; 0 at admission
	Tracking string
}

func (e *txRejectedError) Error() string {
	where := "at admission"
	if e.Height > 0 {
		where = fmt.Sprintf("in block %d", e.Height)
	}
	return fmt.Sprintf("%s: rejected %s: %s (code %d): %s", e.What, where, e.Code, uint32(e.Code), e.Message)
}

// rejectionCode returns the result code of a rejection, if err is one.
func rejectionCode(err error) (election.Code, bool) {
	var re *txRejectedError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// txAnswer is what POST /api/v1/transactions answers, in the fields used
// here: a SubmitResponse, or an Error (with the code of a refusal at
// admission).
type txAnswer struct {
	Error        string  `json:"error"`
	TrackingCode string  `json:"tracking_code"`
	Code         *uint32 `json:"code"`
	CodeName     string  `json:"code_name"`
	Committed    bool    `json:"committed"`
	Height       int64   `json:"height"`
}

// txCommitted is a transaction in a block.
type txCommitted struct {
	Height       int64
	TrackingCode string
	// Again: the node already held these very bytes (submitted before,
	// for example by an earlier run of the same command).
	Again bool
}

// again says so, for the commands' messages.
func (c *txCommitted) again() string {
	if c.Again {
		return " (the same transaction, submitted before)"
	}
	return ""
}

// submit posts a signed transaction, waits for its commit and returns the
// block it is in. A refusal is a *txRejectedError. A transaction the node
// already holds (a resubmission after a restart) or whose commit takes
// longer than the node waits is followed through its receipt.
func (a *apiNode) submit(ctx context.Context, what string, tx []byte) (*txCommitted, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/v1/transactions?wait=commit&receipt=false", bytes.NewReader(tx))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := a.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: node %s: %w", what, a.base, err)
		}
		var ans txAnswer
		derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans)
		resp.Body.Close()
		if derr != nil {
			return nil, fmt.Errorf("%s: %d answer: %w", what, resp.StatusCode, derr)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			return &txCommitted{Height: ans.Height, TrackingCode: ans.TrackingCode}, nil
		case http.StatusUnprocessableEntity:
			return nil, rejectionOf(what, &ans)
		case http.StatusConflict, http.StatusGatewayTimeout:
			c, err := a.awaitReceipt(ctx, what, ans.TrackingCode)
			if c != nil {
				c.Again = resp.StatusCode == http.StatusConflict
			}
			return c, err
		case http.StatusServiceUnavailable:
			if attempt < 30 {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Second):
				}
				continue
			}
		}
		return nil, fmt.Errorf("%s: node answered %d: %s", what, resp.StatusCode, ans.Error)
	}
}

func rejectionOf(what string, ans *txAnswer) error {
	re := &txRejectedError{What: what, Message: ans.Error, Tracking: ans.TrackingCode}
	if ans.Committed {
		re.Height = ans.Height
	}
	if ans.Code != nil {
		re.Code = election.Code(*ans.Code)
	} else if c, err := election.ParseCode(ans.CodeName); err == nil {
		re.Code = c
	}
	return re
}

// awaitReceipt waits for the receipt of a transaction the node holds.
func (a *apiNode) awaitReceipt(ctx context.Context, what, code string) (*txCommitted, error) {
	if code == "" {
		return nil, fmt.Errorf("%s: the node gave no tracking code", what)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var rec struct {
			Height int64  `json:"height"`
			Code   uint32 `json:"code"`
			Log    string `json:"log"`
		}
		err := a.get(ctx, "/api/v1/receipts/"+code+"?wait=30s", &rec)
		if err == nil {
			if election.Code(rec.Code) != election.CodeOK {
				return nil, &txRejectedError{What: what, Code: election.Code(rec.Code), Message: rec.Log, Height: rec.Height, Tracking: code}
			}
			return &txCommitted{Height: rec.Height, TrackingCode: code}, nil
		}
		var se *apiError
		if !errors.As(err, &se) || (se.Status != http.StatusGatewayTimeout && se.Status != http.StatusNotFound) || time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: waiting for its commit: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// nodeStatusJSON is GET /api/v1/status, in the fields used here.
type nodeStatusJSON struct {
	ChainID string `json:"chain_id"`
	Height  int64  `json:"height"`
}

func (a *apiNode) status(ctx context.Context) (*nodeStatusJSON, error) {
	var st nodeStatusJSON
	if err := a.get(ctx, "/api/v1/status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// detail fetches GET /api/v1/elections/{id}.
func (a *apiNode) detail(ctx context.Context, id election.ID) (*electionDetailJSON, error) {
	var d electionDetailJSON
	if err := a.get(ctx, "/api/v1/elections/"+id.String(), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// electionDetailJSON is the JSON of election.ElectionDetail as a client
// reads it (the manifest's texts; its canonical form comes from .../dkg).
type electionDetailJSON struct {
	ID       string `json:"id"`
	Manifest struct {
		Reference string            `json:"reference"`
		Languages []string          `json:"languages"`
		Title     map[string]string `json:"title"`
		Revoting  bool              `json:"revoting"`
		Weights   bool              `json:"weights"`
		Schedule  struct {
			DKGDealsBy time.Time  `json:"dkg_deals_by"`
			Open       *time.Time `json:"open"`
			Close      *time.Time `json:"close"`
		} `json:"schedule"`
		Trustees struct {
			Threshold uint32 `json:"threshold"`
		} `json:"trustees"`
		Contests []struct {
			Title   map[string]string   `json:"title"`
			Type    string              `json:"type"`
			Options []map[string]string `json:"options"`
		} `json:"contests"`
	} `json:"manifest"`
	Phase    string     `json:"phase"`
	Failure  string     `json:"failure"`
	Deadline *time.Time `json:"dkg_deadline"`
	JointKey string     `json:"joint_key"`
	Phases   []struct {
		Phase  string    `json:"phase"`
		Height int64     `json:"height"`
		Time   time.Time `json:"time"`
	} `json:"phases"`
	Trustees []election.TrusteeStatus `json:"trustees"`
	Counts   election.Counts          `json:"counts"`
}

// text picks a text in the manifest's first language.
func (d *electionDetailJSON) text(t map[string]string) string {
	if len(d.Manifest.Languages) > 0 {
		if s, ok := t[d.Manifest.Languages[0]]; ok {
			return s
		}
	}
	for _, s := range t {
		return s
	}
	return ""
}

// dkg fetches GET .../dkg and checks that its manifest is the election's:
// the client derives the id itself and trusts no node's word for it.
func (a *apiNode) dkg(ctx context.Context, id election.ID) (*election.DKGMessages, *election.Manifest, error) {
	var m election.DKGMessages
	if err := a.get(ctx, "/api/v1/elections/"+id.String()+"/dkg", &m); err != nil {
		return nil, nil, err
	}
	enc, err := hex.DecodeString(m.Manifest)
	if err != nil {
		return nil, nil, fmt.Errorf("manifest from the node: %w", err)
	}
	man, err := election.DecodeManifest(enc)
	if err != nil {
		return nil, nil, fmt.Errorf("manifest from the node: %w", err)
	}
	if got, err := man.ID(); err != nil || got != id {
		return nil, nil, fmt.Errorf("the node %s served a manifest that is not the one of election %v", a.base, id)
	}
	return &m, man, nil
}

// jointKey fetches the election's joint key (ErrNotFound-like 404 before
// the ceremony fixed it).
func (a *apiNode) jointKey(ctx context.Context, id election.ID) (*tally.PublicKey, error) {
	d, err := a.detail(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.JointKey == "" {
		return nil, fmt.Errorf("election %v has no joint key yet (phase %s)", id, d.Phase)
	}
	b, err := hex.DecodeString(d.JointKey)
	if err != nil {
		return nil, fmt.Errorf("joint key: %w", err)
	}
	return tally.PublicKeyFromBytes(b)
}

// aggregates fetches the running tally's aggregate ciphertexts in
// aggregate order.
func (a *apiNode) aggregates(ctx context.Context, id election.ID) (*election.TallyInfo, []*tally.Ciphertext, error) {
	var t election.TallyInfo
	if err := a.get(ctx, "/api/v1/elections/"+id.String()+"/tally", &t); err != nil {
		return nil, nil, err
	}
	var out []*tally.Ciphertext
	for _, c := range t.Contests {
		for _, o := range c.Options {
			b, err := hex.DecodeString(o.Aggregate)
			if err != nil {
				return nil, nil, fmt.Errorf("aggregate: %w", err)
			}
			ct, err := election.ParseAggregate(b)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ct)
		}
	}
	return &t, out, nil
}

// chainPoll is how often the commands that wait for the chain look.
const chainPoll = 300 * time.Millisecond

// waitPhase polls the election until ok(phase) holds, or until ctx ends.
func (a *apiNode) waitPhase(ctx context.Context, id election.ID, ok func(d *electionDetailJSON) bool) (*electionDetailJSON, error) {
	for {
		d, err := a.detail(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok(d) {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(chainPoll):
		}
	}
}
