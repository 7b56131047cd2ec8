package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// submitter sends a transaction and waits for its commit; a rejection at
// admission or in the block is an error naming what was submitted.
type submitter interface {
	submit(ctx context.Context, what string, tx []byte) error
	chainID(ctx context.Context) (string, error)
}

// localSubmitter submits to a node running in this process.
type localSubmitter struct{ n *chain.Node }

func (l localSubmitter) chainID(ctx context.Context) (string, error) {
	st, err := l.n.Status(ctx)
	return st.ChainID, err
}

func (l localSubmitter) submit(ctx context.Context, what string, tx []byte) error {
	hash, res, err := l.n.Submit(ctx, tx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !res.OK() {
		return fmt.Errorf("%s: rejected: %s (%s)", what, res.Code, res.Log)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := l.n.WaitForReceipt(wctx, hash[:])
	if err != nil {
		return fmt.Errorf("%s: waiting for commit: %w", what, err)
	}
	if rec.Code != election.CodeOK {
		return fmt.Errorf("%s: rejected in block %d: %s (%s)", what, rec.Height, rec.Code, rec.Log)
	}
	return nil
}

// httpSubmitter submits to a node's HTTP API.
type httpSubmitter struct{ *apiClient }

func newHTTPSubmitter(base string) *httpSubmitter {
	// Keep a connection per concurrent caller: the default transport keeps
	// two idle connections per host, so a load of hundreds of callers would
	// open (and leave in TIME_WAIT) a connection per request.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4096
	return &httpSubmitter{&apiClient{base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: 90 * time.Second, Transport: tr}}}
}

func (h *httpSubmitter) chainID(ctx context.Context) (string, error) {
	var st struct {
		ChainID string `json:"chain_id"`
	}
	if err := h.get(ctx, "/api/v1/status", &st); err != nil {
		return "", err
	}
	return st.ChainID, nil
}

// submitResult is what POST /api/v1/transactions answers.
type submitResult struct {
	Error        string `json:"error"`
	TrackingCode string `json:"tracking_code"`
	Code         uint32 `json:"code"`
	CodeName     string `json:"code_name"`
	Committed    bool   `json:"committed"`
	Height       int64  `json:"height"`
}

// post submits tx and waits for the commit, returning the HTTP status and
// the decoded answer.
func (h *httpSubmitter) post(ctx context.Context, tx []byte) (int, *submitResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/api/v1/transactions?wait=commit&receipt=false", bytes.NewReader(tx))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := h.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var r submitResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&r); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decoding the answer: %w", err)
	}
	return resp.StatusCode, &r, nil
}

func (h *httpSubmitter) submit(ctx context.Context, what string, tx []byte) error {
	status, r, err := h.post(ctx, tx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if status != http.StatusOK || !r.Committed {
		return fmt.Errorf("%s: %d %s: %s", what, status, r.CodeName, r.Error)
	}
	return nil
}
