package web

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
)

//go:embed openapi.yaml static
var assets embed.FS

// Limits of the API.
const (
	// maxBody bounds a request body: the largest transaction, base64-encoded
	// in JSON, with room for the envelope.
	maxBody = election.MaxTxSize*4/3 + 4096
	// maxWait bounds how long a request may wait for a commit.
	maxWait = 60 * time.Second
	// maxRollPage bounds a page of the roll.
	maxRollPage = 1000
)

// Server serves the JSON API under /api/v1, the feed and the pages, over
// one polling node.
type Server struct {
	node    *chain.Node
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	hub     *feed.Hub
	feedCfg FeedConfig
	// anyOrigin: a page of any origin may call the API; otherwise those
	// of apiOrigins only (and the node's own).
	anyOrigin  bool
	apiOrigins []string
	peers      []string
	csp        string // the Content-Security-Policy of every answer
	hsts       bool   // served over TLS: Strict-Transport-Security on every answer
}

// Config configures a Server beyond its node; the zero Config is the
// defaults.
type Config struct {
	Feed FeedConfig
	// APIOrigins are the origins (scheme://host[:port]) whose pages may
	// call the API (CORS); "*", or nil, for any (the default: see
	// cors.go), "self" for the node's own pages only.
	APIOrigins []string
	// PeerNodes are other polling nodes (scheme://host[:port]) whose API
	// the node's pages may call: the content security policy lets the
	// pages connect to them, and the status lists them, for the wallet to
	// offer their elections.
	PeerNodes []string
	// TLSCert and TLSKey are the PEM certificate chain and private key
	// files Listen serves HTTPS with; both empty: plain HTTP (behind a
	// TLS-terminating proxy, docs/operations.md).
	TLSCert, TLSKey string
	// MaxConns and MaxConnsPerAddress bound the connections Listen holds
	// open, in all and per client address (DefaultMaxConns and
	// DefaultMaxConnsPerAddress if <= 0; connlimit.go).
	MaxConns, MaxConnsPerAddress int
}

// New returns a server for node with the default Config. log receives
// request errors (never sent to clients).
func New(node *chain.Node, log *slog.Logger) *Server { return NewWithConfig(node, log, Config{}) }

// NewWithConfig returns a server for node configured by cfg (checked by
// Config.Validate). Close ends its feed.
func NewWithConfig(node *chain.Node, log *slog.Logger, cfg Config) *Server {
	s := &Server{node: node, log: log, mux: http.NewServeMux(), feedCfg: cfg.Feed.withDefaults(),
		anyOrigin: len(cfg.APIOrigins) == 0 || cfg.APIOrigins[0] == "*", peers: cfg.PeerNodes,
		csp: contentSecurityPolicy(cfg.PeerNodes), hsts: cfg.TLSCert != ""}
	if !s.anyOrigin && cfg.APIOrigins[0] != "self" {
		s.apiOrigins = cfg.APIOrigins
	}
	s.hub = feed.NewHub(node, feed.HubConfig{MaxClients: cfg.Feed.MaxClients, Buffer: cfg.Feed.Buffer,
		OnSlow: func() { s.metrics.feedDropped.WithLabelValues("slow").Inc() }})
	s.metrics = newMetrics(node, s.hub)
	s.mux.HandleFunc("GET /api/v1/status", s.status)
	s.mux.HandleFunc("GET /api/v1/genesis", s.genesis)
	s.mux.HandleFunc("GET /api/v1/elections", s.elections)
	s.mux.HandleFunc("GET /api/v1/elections/{id}", s.election)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/roll", s.roll)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/tally", s.tally)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/result", s.result)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/dkg", s.dkg)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/voters/{key}", s.voter)
	s.mux.HandleFunc("GET /api/v1/elections/{id}/record", s.record)
	s.mux.HandleFunc("POST /api/v1/transactions", s.submit)
	s.mux.HandleFunc("GET /api/v1/receipts/{code}", s.receipt)
	s.mux.HandleFunc("GET /api/v1/feed", s.feed)
	s.mux.HandleFunc("GET /api/v1/openapi.yaml", s.openapi)
	s.handleOps()
	s.handlePages()
	pages := http.FileServerFS(mustSub(assets, "static"))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/"):
			if allow := s.allowed(r); allow != "" {
				w.Header().Set("Allow", allow)
				writeError(w, http.StatusMethodNotAllowed, "method not allowed: "+r.Method+" "+r.URL.Path, nil)
				return
			}
			writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path, nil)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method not allowed", nil)
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			servePage("static/index.html")(w, r) // the status page
		default:
			pages.ServeHTTP(w, r)
		}
	})
	return s
}

// Close ends the feed: each client is closed with CloseStopping. The rest
// of the server needs no closing.
func (s *Server) Close() { s.hub.Stop() }

// allowed lists the methods of the API route r's path names, or "" if
// it names none. The catch-all pattern "/" matches every method, so the
// mux never answers 405 itself.
func (s *Server) allowed(r *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" {
			methods = append(methods, m)
			if m == http.MethodGet {
				methods = append(methods, http.MethodHead)
			}
		}
	}
	return strings.Join(methods, ", ")
}

// ServeHTTP recovers from panics so that no stack trace reaches a client.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error", nil)
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s.setSecurityHeaders(w.Header())
	if strings.HasPrefix(r.URL.Path, "/api/") && s.cors(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if h, ok := s.halted(); ok {
			// A halted node's answers come from state it can no longer
			// bring up to date.
			w.Header().Set(staleHeader, fmt.Sprintf("%s: %s", h.Cause, h.Reason))
		}
	}
	s.mux.ServeHTTP(w, r)
}

// staleHeader marks an API answer of a halted node: its value is the
// halt's cause and reason (docs/operations.md).
const staleHeader = "X-Evote-Stale"

// refuseHalted answers a write 503 with Retry-After if the node is halted
// or otherwise cannot commit, and says whether it did. code, if not nil,
// is the transaction's tracking code.
func (s *Server) refuseHalted(w http.ResponseWriter, ballot bool, code *api.TxHash) bool {
	h, ok := s.halted()
	if !ok {
		return false
	}
	s.metrics.outcome(ballot, "halted")
	w.Header().Set("Retry-After", retryAfter(chain.Readiness{Halted: true, Cause: h.Cause}))
	writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("the node has halted (%s: %s) and cannot commit transactions; send it to another node", h.Cause, h.Reason),
		&api.ErrorBody{TrackingCode: code})
	return true
}

// halted is the node's halt, if it has halted (a server without a node,
// in tests of the pages, never has).
func (s *Server) halted() (chain.Halt, bool) {
	if s.node == nil {
		return chain.Halt{}, false
	}
	return s.node.Halted()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string, extra *api.ErrorBody) {
	body := api.ErrorBody{Error: msg}
	if extra != nil {
		body = *extra
		body.Error = msg
	}
	writeJSON(w, status, body)
}

// fail answers a failed query: not found, bad input, or an internal error
// (logged, not shown).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, election.ErrNotFound), errors.Is(err, chain.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found", nil)
	case errors.Is(err, chain.ErrBlockUnavailable):
		writeError(w, http.StatusGone, err.Error()+"; ask a node that holds it", nil)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "timed out waiting for the chain", nil)
	case errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, "request canceled", nil)
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error", nil)
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.node.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := apiStatus(st)
	body.PeerNodes = append([]string{}, s.peers...)
	writeJSON(w, http.StatusOK, body)
}

// genesis answers the chain's genesis as a record's head carries it, with
// its fingerprint: a client that anchors on the chain (the wallet, before
// it checks a receipt) computes the fingerprint itself.
func (s *Server) genesis(w http.ResponseWriter, r *http.Request) {
	chainID, g := feed.Genesis(s.node)
	head := observer.RecordHead{ChainID: chainID, Genesis: g}
	fp, err := head.GenesisFingerprint()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := &api.Genesis{ChainID: chainID, Genesis: api.GenesisDoc{AppState: g.AppState, Validators: []api.GenesisValidator{}}, Fingerprint: fp}
	for _, v := range g.Validators {
		body.Genesis.Validators = append(body.Genesis.Validators, api.GenesisValidator{PubKey: v.PubKey, Power: v.Power})
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) reader() election.ReadStore { return s.node.App().Store().Reader() }

// electionID parses the {id} path value, answering 400 if it is not an id.
func electionID(w http.ResponseWriter, r *http.Request) (election.ID, bool) {
	id, err := election.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "election id: "+err.Error(), nil)
		return id, false
	}
	return id, true
}

func (s *Server) elections(w http.ResponseWriter, r *http.Request) {
	list, err := election.QueryElections(s.reader())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiSummaries(list))
}

func (s *Server) election(w http.ResponseWriter, r *http.Request) {
	if id, ok := electionID(w, r); ok {
		d, err := election.QueryElection(s.reader(), id)
		reply(s, w, r, d, err, apiDetail)
	}
}

func (s *Server) tally(w http.ResponseWriter, r *http.Request) {
	if id, ok := electionID(w, r); ok {
		t, err := election.QueryTally(s.reader(), id)
		reply(s, w, r, t, err, apiTally)
	}
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	if id, ok := electionID(w, r); ok {
		res, err := election.QueryResult(s.reader(), id)
		reply(s, w, r, res, err, infallible(apiResult))
	}
}

func (s *Server) roll(w http.ResponseWriter, r *http.Request) {
	id, ok := electionID(w, r)
	if !ok {
		return
	}
	offset, err1 := queryInt(r, "offset", 0)
	limit, err2 := queryInt(r, "limit", 100)
	if err := errors.Join(err1, err2); err != nil || offset < 0 || limit < 1 || limit > maxRollPage {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("offset must be >= 0 and limit 1..%d", maxRollPage), nil)
		return
	}
	page, err := election.QueryRoll(s.reader(), id, offset, limit)
	reply(s, w, r, page, err, infallible(apiRoll))
}

func (s *Server) voter(w http.ResponseWriter, r *http.Request) {
	id, ok := electionID(w, r)
	if !ok {
		return
	}
	key, err := election.ParseVoterPublicKey(r.PathValue("key"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "voter key: "+err.Error(), nil)
		return
	}
	vs, err := election.QueryVoter(s.reader(), id, key.Key())
	if err == nil && !vs.OnRoll && !vs.Voted {
		// As documented: no such voter in this election.
		writeError(w, http.StatusNotFound, "not on the roll of this election", nil)
		return
	}
	reply(s, w, r, vs, err, apiVoter)
}

// reply writes a query's value in the API's form, or its error.
func reply[Q, A any](s *Server, w http.ResponseWriter, r *http.Request, v Q, err error, conv func(Q) (A, error)) {
	var out A
	if err == nil {
		out, err = conv(v)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// infallible lifts a conversion that cannot fail.
func infallible[Q, A any](f func(Q) A) func(Q) (A, error) {
	return func(v Q) (A, error) { return f(v), nil }
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

// waitParam parses ?wait=<duration> (e.g. 10s), capped at maxWait; "commit"
// or "true" means maxWait.
func waitParam(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	switch v {
	case "", "false", "0":
		return 0, nil
	case "commit", "true":
		return maxWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("wait must be a duration such as 10s, or commit")
	}
	return min(d, maxWait), nil
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	wait, err := waitParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	tx, err := readTx(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxBody), nil)
			return
		}
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ballot := isBallot(tx)
	code := api.TxHash(chain.HashTx(tx))
	if s.refuseHalted(w, ballot, &code) {
		return
	}
	admitted := time.Now()
	hash, res, err := s.node.Submit(r.Context(), tx)
	since(s.metrics.admission, admitted)
	code = api.TxHash(hash)
	switch {
	case errors.Is(err, chain.ErrKnownTx):
		s.metrics.outcome(ballot, "known")
		writeError(w, http.StatusConflict, "transaction already submitted", &api.ErrorBody{TrackingCode: &code})
		return
	case errors.Is(err, chain.ErrMempoolFull):
		s.metrics.outcome(ballot, "busy")
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "the node is busy; retry", &api.ErrorBody{TrackingCode: &code})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case !res.OK():
		s.metrics.outcome(ballot, res.Code.String())
		c := api.CodeNum(res.Code)
		writeError(w, http.StatusUnprocessableEntity, res.Log, &api.ErrorBody{Code: &c, CodeName: res.Code.String(), TrackingCode: &code})
		return
	}
	body := api.SubmitResponse{TrackingCode: code, Code: api.CodeNum(res.Code), CodeName: res.Code.String()}
	if wait == 0 {
		s.metrics.outcome(ballot, res.Code.String())
		writeJSON(w, http.StatusAccepted, body)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	var rec *chain.Receipt
	if r.URL.Query().Get("receipt") != "false" {
		if rec, err = s.node.WaitForReceipt(ctx, hash[:]); err == nil {
			// The proof of the result comes with the next block, which the
			// block's change of the app hash (its receipt rows, accepted or
			// not) brings at once.
			rec = s.node.WaitForResult(ctx, rec)
		}
	} else {
		var row chain.TxRow
		if row, err = s.node.WaitForTx(ctx, hash[:]); err == nil {
			rec = &chain.Receipt{Height: row.Height, Code: row.Code, Log: row.Log}
		}
	}
	var dropped *chain.DroppedError
	if errors.As(err, &dropped) {
		// Admitted, then a block made it invalid: it will never be
		// committed, and it is refused as at admission, with its code.
		s.metrics.outcome(ballot, dropped.Result.Code.String())
		c := api.CodeNum(dropped.Result.Code)
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("refused after block %d, which made it invalid: %s", dropped.After, dropped.Result.Log),
			&api.ErrorBody{Code: &c, CodeName: dropped.Result.Code.String(), TrackingCode: &code})
		return
	}
	if errors.Is(err, context.DeadlineExceeded) && s.refuseHalted(w, ballot, &code) {
		// Admitted, then the node halted: it will not commit it.
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		s.metrics.outcome(ballot, "timeout")
		// Admitted all the same: the tracking code finds its receipt later.
		writeError(w, http.StatusGatewayTimeout, "admitted, but not committed within the wait", &api.ErrorBody{TrackingCode: &code})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	since(s.metrics.commitWait, admitted)
	s.metrics.outcome(ballot, rec.Code.String())
	body.Committed, body.Code, body.CodeName = true, api.CodeNum(rec.Code), rec.Code.String()
	body.Height = rec.Height
	if rec.Header != nil {
		if body.Receipt, err = apiReceipt(rec); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	status := http.StatusOK
	if rec.Code != election.CodeOK {
		// Admitted to the mempool, then rejected in its block (for example
		// a ballot after the close).
		status = http.StatusUnprocessableEntity
		body.Error = rec.Log
		if body.Error == "" {
			body.Error = "refused in its block: " + rec.Code.String()
		}
	}
	writeJSON(w, status, body)
}

// isBallot says whether tx is a well-formed ballot's envelope.
func isBallot(tx []byte) bool {
	t, err := election.DecodeTx(tx)
	return err == nil && t.Kind == election.KindBallot
}

func readTx(r *http.Request) ([]byte, error) {
	// Media types are case-insensitive and may carry parameters
	// (charset=utf-8); a type that only begins like these is another type.
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var req api.SubmitRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var notB64 base64.CorruptInputError
			if errors.As(err, &notB64) {
				return nil, fmt.Errorf("tx: not base64: %w", err)
			}
			return nil, fmt.Errorf("body: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			return nil, errors.New("body: data after the JSON object")
		}
		if len(req.Tx) == 0 {
			return nil, errors.New("tx: empty")
		}
		return req.Tx, nil
	case "application/octet-stream":
		tx, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(tx) == 0 {
			return nil, errors.New("empty body")
		}
		return tx, nil
	default:
		return nil, errors.New("Content-Type must be application/json or application/octet-stream")
	}
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("code"))
	if err != nil || len(hash) != len(chain.TxHash{}) {
		writeError(w, http.StatusBadRequest, "tracking code: 64 hex digits", nil)
		return
	}
	wait, err := waitParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var rec *chain.Receipt
	if wait == 0 {
		rec, err = s.node.Receipt(r.Context(), hash)
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		rec, err = s.node.WaitForReceipt(ctx, hash)
		if h, ok := s.halted(); ok && errors.Is(err, context.DeadlineExceeded) {
			// It will not commit it: another node may have.
			w.Header().Set("Retry-After", retryAfter(chain.Readiness{Halted: true, Cause: h.Cause}))
			writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("the node has halted (%s: %s); ask another node", h.Cause, h.Reason), nil)
			return
		}
		if errors.As(err, new(*chain.DroppedError)) {
			// Dropped from the mempool: unknown here, and a submission
			// again is refused with its code.
			err = chain.ErrNotFound
		}
		if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
			err = chain.ErrNotFound // answered below: pending or unknown
		}
		if err == nil {
			rec = s.node.WaitForResult(ctx, rec)
		}
	}
	if errors.Is(err, chain.ErrNotFound) {
		code := api.TxHash(hash)
		if s.node.Pending(hash) {
			writeError(w, http.StatusAccepted, "admitted to this node's mempool, not yet committed", &api.ErrorBody{TrackingCode: &code, State: api.ReceiptPending})
			return
		}
		// Committed between the two looks, or unknown.
		if rec, err = s.node.Receipt(r.Context(), hash); errors.Is(err, chain.ErrNotFound) {
			writeError(w, http.StatusNotFound, "this node knows no such transaction: it is not committed, nor in its mempool; submit it again", &api.ErrorBody{TrackingCode: &code, State: api.ReceiptUnknown})
			return
		}
	}
	reply(s, w, r, rec, err, apiReceipt)
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	b, _ := assets.ReadFile("openapi.yaml")
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(b)
}
