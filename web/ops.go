package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evote/evote/chain"
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
}

func newMetrics(node *chain.Node) *metrics {
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
	}
	ready := func() float64 {
		if node.Readiness().Ready {
			return 1
		}
		return 0
	}
	m.reg.MustRegister(m.transactions, m.admission, m.commitWait,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_ready", Help: "1 while /readyz answers 200."}, ready),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "evote_height", Help: "The last block the app committed."},
			func() float64 { return float64(node.Readiness().Height) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// outcome records a submission's outcome.
func (m *metrics) outcome(o string) { m.transactions.WithLabelValues(o).Inc() }

// since observes the seconds since t on h.
func since(h prometheus.Histogram, t time.Time) { h.Observe(time.Since(t).Seconds()) }

func (s *Server) handleOps() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		r := s.node.Readiness()
		if !r.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", r.Reason)
			return
		}
		fmt.Fprintf(w, "ready: block %d\n", r.Height)
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}
