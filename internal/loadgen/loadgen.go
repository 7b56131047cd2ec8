// Package loadgen is the load generator of `evote bench chain`: a fresh
// network of validator processes (package localnet), an election set up
// through the harness, and many HTTP clients casting valid ballots.
package loadgen

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/bench"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
)

//go:embed bench-election.yaml
var benchManifest string

// ElectionTemplate is the manifest template of the bench's election (one
// five-option question), for harness.Spec.Template.
func ElectionTemplate() string { return benchManifest }

// Config configures a run (`evote bench chain` validates it).
type Config struct {
	Validators int
	Ballots    int
	Clients    int
	Receipts   string // file for the tracking codes of committed ballots
	Profile    string // directory for the nodes' CPU profiles
	// Replica: after the load, a replica joins the network and catches up
	// by block sync; its catch-up is measured.
	Replica bool
	// StateSync: after the load, a replica joins by state sync (from the
	// validators' latest snapshot, then block sync to the tip); its
	// catch-up is measured. The validators write a snapshot every
	// SnapshotInterval blocks (0: DefaultSnapshotInterval).
	StateSync        bool
	SnapshotInterval int64
	// Hosts puts validator i on its own loopback address, 127.0.0.(2+i).
	Hosts bool
}

// Client is a client of the node at base for many concurrent callers: the
// default transport keeps two idle connections per host, so a load of
// hundreds of callers would open (and leave in TIME_WAIT) a connection per
// request.
func Client(base string) (*api.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4096
	return api.NewClient(base, &http.Client{Timeout: 90 * time.Second, Transport: tr})
}

// Result is what a run measured (`evote bench chain` prints it).
type Result struct {
	CPU            string  `json:"cpu"`
	Cores          int     `json:"cores"`
	Validators     int     `json:"validators"`
	Hosts          bool    `json:"own_addresses"` // each validator on its own loopback address
	Clients        int     `json:"clients"`
	Ballots        int     `json:"ballots"`
	Committed      int     `json:"committed"`
	Rejected       int     `json:"rejected"`
	Seconds        float64 `json:"seconds"`
	CommittedPerS  float64 `json:"committed_per_s"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
	NodePeakRSSMB  float64 `json:"node_peak_rss_mb"` // the largest of the nodes' peak resident sets
	NodeCPUSeconds float64 `json:"node_cpu_s"`       // CPU time of all nodes during the timed part
	LoadCPUSeconds float64 `json:"load_cpu_s"`       // CPU time of the load generator (this process) during the timed part
	// RSSByQuarter is the largest node's resident set when a quarter, a
	// half, three quarters and all of the ballots were committed: flat
	// figures show memory bounded as the chain grows.
	RSSByQuarter [4]float64 `json:"node_rss_mb_by_quarter"`
	Height       int64      `json:"height"`
	AppHash      string     `json:"app_hash"`
	// Replica is the catch-up of a replica that joined after the load,
	// with Config.Replica.
	Replica *ReplicaResult `json:"replica,omitempty"`
	// StateSyncReplica is the catch-up of a replica that joined by state
	// sync after the load, with Config.StateSync.
	StateSyncReplica *ReplicaResult `json:"state_sync_replica,omitempty"`
	// SnapshotInterval is the validators' snapshot interval, in blocks,
	// with Config.StateSync.
	SnapshotInterval int64 `json:"snapshot_interval,omitempty"`
}

// DefaultSnapshotInterval is the validators' snapshot interval of a run
// with Config.StateSync: a snapshot every 20 blocks.
const DefaultSnapshotInterval = 20

// ReplicaResult is a replica's catch-up (by block sync, or by state sync
// then block sync): from its start to the validators' height and app
// hash. FirstBlock is the first block the replica holds (1 by block sync,
// the snapshot's height + 1 by state sync).
type ReplicaResult struct {
	FirstBlock  int64   `json:"first_block"`
	Seconds     float64 `json:"seconds"`
	BlocksPerS  float64 `json:"blocks_per_s"`
	BallotsPerS float64 `json:"ballots_per_s"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
}

// Run writes a fresh network of cfg.Validators nodes (with write) in a
// temporary directory, runs each node as its own process, creates an
// election with one five-option question and cfg.Ballots voters through
// the harness, prepares one valid ballot per voter, then has cfg.Clients
// concurrent clients submit them over HTTP (spread over the nodes) and wait
// for their commits. progress says what it does.
func Run(ctx context.Context, cfg Config, progress func(string, ...any)) (*Result, error) {
	dir, err := os.MkdirTemp("", "evote-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if cfg.Profile != "" {
		// Each node writes its profile there: the folder must exist, or
		// every node would exit at its start.
		if err := os.MkdirAll(cfg.Profile, 0o755); err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
	}
	snapInterval := cfg.SnapshotInterval
	if snapInterval <= 0 {
		snapInterval = DefaultSnapshotInterval
	}
	nodeArgs := func(i int) []string {
		var args []string
		if cfg.Profile != "" {
			args = append(args, "--cpu-profile", filepath.Join(cfg.Profile, fmt.Sprintf("node%d.pprof", i)))
		}
		if cfg.StateSync {
			args = append(args, "--snapshot-interval", strconv.FormatInt(snapInterval, 10))
		}
		return args
	}
	net, err := localnet.Start(localnet.Options{Dir: dir, ChainID: "evote-bench", Validators: cfg.Validators, Args: nodeArgs, Hosts: cfg.Hosts})
	if err != nil {
		return nil, err
	}
	defer net.Stop()
	nodes := net.Nodes
	subs := make([]*api.Client, len(nodes))
	for i, n := range nodes {
		if subs[i], err = Client(n.URL); err != nil {
			return nil, err
		}
		if err := localnet.WaitReady(ctx, subs[i], 0, n.Done); err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	progress("%d node(s) up; creating an election with %d voters and running its key ceremony ...", len(nodes), cfg.Ballots)
	authority, err := keyfile.ReadAuthority(net.AuthorityKey())
	if err != nil {
		return nil, fmt.Errorf("authority key: %w", err)
	}
	ref := make([]byte, 8)
	rand.Read(ref)
	set, err := harness.Setup(ctx, harness.NewAPI(subs[0]), harness.Spec{Template: benchManifest, Reference: "bench-" + hex.EncodeToString(ref),
		TrusteeName: "Sample trustee %d", Voters: cfg.Ballots, RollBatch: 10000, Authority: authority})
	if err != nil {
		return nil, err
	}
	el, err := set.Wallet(ctx)
	if err != nil {
		return nil, err
	}
	progress("preparing %d ballots on %d cores ...", cfg.Ballots, runtime.NumCPU())
	built, err := harness.Ballots(el, set.Voters, func(i int) [][]uint64 { return [][]uint64{bench.Choices[i%len(bench.Choices)]} })
	if err != nil {
		return nil, err
	}
	ballots := make([][]byte, len(built))
	for i, b := range built {
		ballots[i] = b.Tx
	}

	progress("submitting with %d clients ...", cfg.Clients)
	cpu0, self0 := nodesCPU(nodes), selfCPU()
	latencies := make([]time.Duration, len(ballots))
	codes := make([]string, len(ballots))
	var next atomic.Int64
	var rejected, committedN atomic.Int64
	var rssByQuarter [4]float64
	samplerDone := make(chan struct{})
	stopSampler := make(chan struct{})
	go func() {
		defer close(samplerDone)
		q := 0
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for q < 4 {
			select {
			case <-stopSampler: // some ballots were not committed
				for ; q < 4; q++ {
					rssByQuarter[q] = nodesRSSMB(nodes)
				}
				return
			case <-tick.C:
			}
			for q < 4 && committedN.Load() >= int64((q+1)*len(ballots)/4) {
				rssByQuarter[q] = nodesRSSMB(nodes)
				q++
			}
		}
	}()
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ballots) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				r, err := subs[i%len(subs)].Submit(ctx, ballots[i], api.SubmitOptions{Wait: true, NoReceipt: true})
				var refused *api.RefusedError
				var answered *api.Error
				switch {
				case errors.As(err, &refused), errors.As(err, &answered), err == nil && !r.Committed:
					rejected.Add(1)
					continue
				case err != nil:
					errOnce.Do(func() { firstErr = err })
					return
				}
				latencies[i] = time.Since(t0)
				codes[i] = r.TrackingCode.String()
				committedN.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopSampler)
	<-samplerDone
	if firstErr != nil {
		return nil, firstErr
	}
	res := &Result{CPU: bench.CPUModel(), Cores: runtime.NumCPU(), Validators: cfg.Validators, Hosts: cfg.Hosts, Clients: cfg.Clients, Ballots: len(ballots)}
	res.NodeCPUSeconds = nodesCPU(nodes) - cpu0
	res.LoadCPUSeconds = selfCPU() - self0
	res.NodePeakRSSMB = nodesPeakRSSMB(nodes)
	res.RSSByQuarter = rssByQuarter
	var lat []time.Duration
	var committed []string
	for i, d := range latencies {
		if codes[i] != "" {
			lat = append(lat, d)
			committed = append(committed, codes[i])
		}
	}
	res.Committed, res.Rejected = len(lat), int(rejected.Load())
	res.Seconds = elapsed.Seconds()
	res.CommittedPerS = float64(len(lat)) / elapsed.Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50ms = float64(lat[len(lat)/2].Microseconds()) / 1e3
		res.P99ms = float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()) / 1e3
	}
	if st, err := subs[0].Status(ctx); err == nil {
		res.Height, res.AppHash = st.Height, st.AppHash
	}
	if cfg.Receipts != "" {
		if err := os.WriteFile(cfg.Receipts, []byte(strings.Join(committed, "\n")+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	if cfg.Replica {
		progress("a replica joins at height %d and catches up by block sync ...", res.Height)
		if res.Replica, err = catchUp(ctx, net, res, localnet.ReplicaOptions{}); err != nil {
			return nil, fmt.Errorf("replica: %w", err)
		}
	}
	if cfg.StateSync {
		res.SnapshotInterval = snapInterval
		progress("a replica joins at height %d and catches up by state sync (a snapshot every %d blocks) ...", res.Height, snapInterval)
		if res.StateSyncReplica, err = catchUp(ctx, net, res, localnet.ReplicaOptions{StateSync: true}); err != nil {
			return nil, fmt.Errorf("state sync replica: %w", err)
		}
	}
	return res, nil
}

// catchUp starts a replica of net and waits until it holds the
// validators' height and app hash.
func catchUp(ctx context.Context, net *localnet.Net, res *Result, o localnet.ReplicaOptions) (*ReplicaResult, error) {
	start := time.Now()
	n, err := net.AddReplicaWith(o)
	if err != nil {
		return nil, err
	}
	c, err := Client(n.URL)
	if err != nil {
		return nil, err
	}
	for {
		select {
		case <-n.Done:
			return nil, errors.New("the replica's process ended")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		st, err := c.Status(ctx)
		if err != nil || st.Height < res.Height {
			continue
		}
		if st.Height == res.Height && st.AppHash != res.AppHash {
			return nil, fmt.Errorf("the replica's app hash at height %d is %s, the validators' %s", st.Height, st.AppHash, res.AppHash)
		}
		s := time.Since(start).Seconds()
		first, err := firstBlock(ctx, n.RPC)
		if err != nil {
			return nil, err
		}
		return &ReplicaResult{FirstBlock: first, Seconds: s, BlocksPerS: float64(res.Height) / s, BallotsPerS: float64(res.Committed) / s,
			PeakRSSMB: nodesPeakRSSMB([]*localnet.Node{n})}, nil
	}
}

// firstBlock is the first block a node holds, from its CometBFT RPC.
func firstBlock(ctx context.Context, rpc string) (int64, error) {
	c, err := rpchttp.New(rpc, "/websocket")
	if err != nil {
		return 0, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("the replica's CometBFT status: %w", err)
	}
	return st.SyncInfo.EarliestBlockHeight, nil
}

// nodesCPU returns the CPU seconds (user + system) the node processes have
// used so far, from /proc.
func nodesCPU(nodes []*localnet.Node) float64 {
	const clockTicks = 100 // USER_HZ on Linux
	var total float64
	for _, n := range nodes {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.Cmd.Process.Pid))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 12 {
			utime, _ := strconv.ParseFloat(f[11], 64)
			stime, _ := strconv.ParseFloat(f[12], 64)
			total += (utime + stime) / clockTicks
		}
	}
	return total
}

// selfCPU returns the CPU seconds (user + system) this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// nodesPeakRSSMB returns the largest peak resident set (VmHWM) of the nodes.
func nodesPeakRSSMB(nodes []*localnet.Node) float64 { return nodesStatusMB(nodes, "VmHWM:") }

// nodesRSSMB returns the largest resident set (VmRSS) of the nodes now.
func nodesRSSMB(nodes []*localnet.Node) float64 { return nodesStatusMB(nodes, "VmRSS:") }

// nodesStatusMB returns the largest value of a kB field of the nodes'
// /proc/PID/status, in MB.
func nodesStatusMB(nodes []*localnet.Node, field string) float64 {
	var peak float64
	for _, n := range nodes {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.Cmd.Process.Pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, field); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				peak = max(peak, kb/1024)
			}
		}
	}
	return peak
}

// Print writes the result for a reader.
func (r *Result) Print(out io.Writer) {
	fmt.Fprintf(out, "machine: %s, %d cores (the load generator shares them)\n", r.CPU, r.Cores)
	where := "127.0.0.1"
	if r.Hosts {
		where = fmt.Sprintf("their own addresses 127.0.0.2 to 127.0.0.%d", 1+r.Validators)
	}
	fmt.Fprintf(out, "network: %d validator(s) on %s; %d clients over HTTP\n\n", r.Validators, where, r.Clients)
	fmt.Fprintf(out, "committed      %d of %d ballots (%d rejected) in %.1f s\n", r.Committed, r.Ballots, r.Rejected, r.Seconds)
	fmt.Fprintf(out, "throughput     %.0f committed ballots/s\n", r.CommittedPerS)
	fmt.Fprintf(out, "commit latency p50 %.0f ms, p99 %.0f ms\n", r.P50ms, r.P99ms)
	fmt.Fprintf(out, "nodes          %.1f CPU-s in all (%.2f ms per committed ballot), peak RSS %.0f MB (largest node)\n",
		r.NodeCPUSeconds, 1000*r.NodeCPUSeconds/max(1, float64(r.Committed)), r.NodePeakRSSMB)
	fmt.Fprintf(out, "node RSS       %.0f / %.0f / %.0f / %.0f MB after 1/4, 1/2, 3/4 and all of the ballots\n",
		r.RSSByQuarter[0], r.RSSByQuarter[1], r.RSSByQuarter[2], r.RSSByQuarter[3])
	fmt.Fprintf(out, "load generator %.1f CPU-s (%.2f ms per ballot)\n", r.LoadCPUSeconds, 1000*r.LoadCPUSeconds/max(1, float64(r.Ballots)))
	fmt.Fprintf(out, "chain          height %d, app hash %s\n", r.Height, r.AppHash)
	if rp := r.Replica; rp != nil {
		fmt.Fprintf(out, "replica        caught up by block sync in %.1f s: %.0f blocks/s, %.0f ballots/s; peak RSS %.0f MB\n",
			rp.Seconds, rp.BlocksPerS, rp.BallotsPerS, rp.PeakRSSMB)
	}
	if rp := r.StateSyncReplica; rp != nil {
		fmt.Fprintf(out, "replica        caught up by state sync in %.1f s (from the snapshot at height %d, a snapshot every %d blocks): %.0f blocks/s, %.0f ballots/s; peak RSS %.0f MB\n",
			rp.Seconds, rp.FirstBlock-1, r.SnapshotInterval, rp.BlocksPerS, rp.BallotsPerS, rp.PeakRSSMB)
	}
}
