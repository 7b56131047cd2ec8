package web

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/observer/feed"
)

// The operator's endpoints (docs/operations.md): /healthz answers while
// the process serves; /readyz only while the node can answer from state it
// committed and keeps up with the chain (chain.Node.Readiness), 503 with
// the reason otherwise; /metrics in Prometheus' text format.

// metrics are the node's own figures, on a registry of its own.
type metrics struct {
	reg *prometheus.Registry
	// transactions counts submissions by outcome: a result code's name
	// (at admission, or in its block once the request waited for it), or
	// busy, known, timeout.
	transactions *prometheus.CounterVec
	admission    prometheus.Histogram // seconds to admit or refuse a submission
	commitWait   prometheus.Histogram // seconds from admission to the commit a request waited for
	// ballots counts ballot submissions alone, by the same outcomes.
	ballots *prometheus.CounterVec
	// The feed: clients dropped by reason (slow, ping, timeout, full),
	// block and hello messages written, and their bytes.
	feedDropped  *prometheus.CounterVec
	feedMessages prometheus.Counter
	feedBytes    prometheus.Counter
	// Connections refused past a limit (node, address), and the
	// listener's open connections (set by Listen).
	connRefused *prometheus.CounterVec
	connOpen    atomic.Pointer[func() int64]
}

func newMetrics(node *chain.Node, hub *feed.Hub) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evote_transactions_total",
			Help: "Transactions submitted over the API, by outcome: the result code's name, or busy, known, timeout.",
		}, []string{"outcome"}),
		admission: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "evote_admission_seconds",
			Help:    "Time to admit or refuse a submitted transaction (its checks included).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "evote_commit_wait_seconds",
			Help:    "Time from admission to the commit of transactions whose request waited for it.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		ballots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evote_ballots_total",
			Help: "Ballots submitted over the API, by outcome: the result code's name (ok when admitted, or the rejection's code), or busy, known, timeout.",
		}, []string{"code"}),
		feedDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evote_feed_dropped_total",
			Help: "Feed clients closed by the node, by reason: slow (fell a buffer behind), ping (no pong), timeout (a write timed out), full (refused past the maximum of clients).",
		}, []string{"reason"}),
		feedMessages: prometheus.NewCounter(prometheus.CounterOpts{Name: "evote_feed_messages_total", Help: "Feed messages (hello and block) written to clients."}),
		feedBytes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "evote_feed_bytes_total", Help: "Bytes of the feed messages written to clients (payloads, without websocket framing)."}),
		connRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evote_connections_refused_total",
			Help: "Connections refused (503, Retry-After) past a limit: node (max-connections) or address (max-connections-per-address).",
		}, []string{"limit"}),
	}
	ready := func() float64 {
		if node.Readiness().Ready {
			return 1
		}
		return 0
	}
	m.reg.MustRegister(m.transactions, m.admission, m.commitWait, m.ballots, m.feedDropped, m.feedMessages, m.feedBytes, m.connRefused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_connections_open", Help: "HTTP connections open now (feed clients included)."},
			func() float64 {
				if f := m.connOpen.Load(); f != nil {
					return float64((*f)())
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_feed_clients", Help: "Feed clients connected now."},
			func() float64 { return float64(hub.Clients()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_ready", Help: "1 while /readyz answers 200."}, ready),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "evote_verdict_cache_hits_total",
			Help: "Transactions whose Precheck verdict (signature, proofs) came from the node's cache."},
			func() float64 { h, _ := cacheStats(node); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "evote_verdict_cache_misses_total",
			Help: "Transactions whose Precheck verdict was not cached and was computed."},
			func() float64 { _, m := cacheStats(node); return float64(m) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_height", Help: "The last block the app committed."},
			func() float64 { return float64(node.Readiness().Height) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range haltCauses {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_halted",
			Help:        "1 while the node is halted for this cause (docs/operations.md, When a node halts), else 0.",
			ConstLabels: prometheus.Labels{"cause": string(c)}},
			func() float64 {
				if node == nil {
					return 0
				}
				if h, ok := node.Halted(); ok && h.Cause == c {
					return 1
				}
				return 0
			}))
	}
	return m
}

// haltCauses are the values of evote_halted's cause label.
var haltCauses = []chain.HaltCause{chain.HaltConsensusFailure, chain.HaltStoreError, chain.HaltDiskFull, chain.HaltBehindPeers, chain.HaltNoPeers}

// cacheStats are the node's verdict cache's hits and misses (none without
// a node).
func cacheStats(node *chain.Node) (hits, misses uint64) {
	if node == nil || node.App() == nil || node.App().Cache() == nil {
		return 0, 0
	}
	return node.App().Cache().Stats()
}

// outcome records a submission's outcome; ballot says whether it is a
// ballot.
func (m *metrics) outcome(ballot bool, o string) {
	m.transactions.WithLabelValues(o).Inc()
	if ballot {
		m.ballots.WithLabelValues(o).Inc()
	}
}

// since observes the seconds since t on h.
func since(h prometheus.Histogram, t time.Time) { h.Observe(time.Since(t).Seconds()) }

// readyBody is /readyz's answer.
type readyBody struct {
	Ready bool `json:"ready"`
	// Reason says why the node is not ready.
	Reason string `json:"reason,omitempty"`
	// Halted is the cause of a halt (chain.HaltCause), Since its start.
	Halted     string     `json:"halted,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	Height     int64      `json:"height"`
	BlockStore int64      `json:"block_store"`
}

// retryAfter is the Retry-After, in seconds, of an answer refused because
// the node is not ready: longer when it halted for a cause that only a
// restart cures.
func retryAfter(r chain.Readiness) string {
	if r.Halted && !r.Cause.Recovers() {
		return "30"
	}
	return "5"
}

func (s *Server) handleOps() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		r := s.node.Readiness()
		body := readyBody{Ready: r.Ready, Reason: r.Reason, Height: r.Height, BlockStore: r.BlockStore}
		if r.Halted {
			body.Halted, body.Since = string(r.Cause), &r.Since
		}
		status := http.StatusOK
		if !r.Ready {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", retryAfter(r))
		}
		writeJSON(w, status, body)
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}
