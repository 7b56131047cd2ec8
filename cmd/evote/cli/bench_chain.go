package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/wallet"
)

// ChainBenchConfig configures `evote bench chain`.
type ChainBenchConfig struct {
	Validators int
	Ballots    int
	Clients    int
	JSON       bool
	Receipts   string // file for the tracking codes of committed ballots
	Profile    string // directory for the nodes' CPU profiles
}

// Validate checks the configuration.
func (c ChainBenchConfig) Validate() error {
	switch {
	case c.Validators < 1 || c.Validators > 16:
		return fmt.Errorf("--validators must be 1..16, got %d", c.Validators)
	case c.Ballots < 1 || c.Ballots > 1000000:
		return fmt.Errorf("--ballots must be 1..1000000, got %d", c.Ballots)
	case c.Clients < 1 || c.Clients > 4096:
		return fmt.Errorf("--clients must be 1..4096, got %d", c.Clients)
	}
	return nil
}

// ChainBench is the result of `evote bench chain`.
type ChainBench struct {
	CPU            string  `json:"cpu"`
	Cores          int     `json:"cores"`
	Validators     int     `json:"validators"`
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
}

func newBenchChainCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "load a fresh network with valid ballots over HTTP and report committed ballots per second",
		Long: `chain writes a fresh network of --validators nodes on 127.0.0.1 in a temporary
directory, runs each node as its own process, creates an election with one five-option question
and --ballots voters, prepares one valid ballot per voter, then has --clients concurrent clients
submit them over HTTP (spread over the nodes) and wait for their commits. It reports committed
ballots per second, the commit latency p50 and p99, and the nodes' CPU time and peak memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ChainBenchConfig{
				Validators: e.v.GetInt("validators"), Ballots: e.v.GetInt("ballots"),
				Clients: e.v.GetInt("clients"), JSON: e.v.GetBool("json"), Receipts: e.v.GetString("receipts"),
				Profile: e.v.GetString("profile"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			progress := func(format string, args ...any) {
				if !cfg.JSON {
					fmt.Fprintf(e.stderr, format+"\n", args...)
				}
			}
			res, err := benchChain(cmd.Context(), cfg, progress)
			if err != nil {
				return err
			}
			if cfg.JSON {
				return json.NewEncoder(e.stdout).Encode(res)
			}
			res.print(e.stdout)
			return nil
		},
	}
	cmd.Flags().Int("validators", 1, "validators of the network (each a process on this machine)")
	cmd.Flags().Int("ballots", 5000, "ballots to submit (one per voter)")
	cmd.Flags().Int("clients", 512, "concurrent HTTP clients (each waits for its ballot's commit before sending the next)")
	cmd.Flags().Bool("json", false, "print one JSON object")
	cmd.Flags().String("receipts", "", "write the tracking code of every committed ballot to this file")
	cmd.Flags().String("profile", "", "write each node's CPU profile to DIR/nodeN.pprof (the whole run, set-up included)")
	return cmd
}

// freePorts returns n distinct free TCP ports on 127.0.0.1 in one block
// (base, base+1, ...), for a testnet's p2p and RPC listeners.
func freePortBlock(n int) (int, error) {
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if base+n > 65000 {
			continue
		}
		ok := true
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("no block of free ports on 127.0.0.1")
}

func benchChain(ctx context.Context, cfg ChainBenchConfig, progress func(string, ...any)) (*ChainBench, error) {
	dir, err := os.MkdirTemp("", "evote-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var nodeArgs func(int) []string
	if cfg.Profile != "" {
		nodeArgs = func(i int) []string {
			return []string{"--cpu-profile", filepath.Join(cfg.Profile, fmt.Sprintf("node%d.pprof", i))}
		}
	}
	net, err := startLocalNet(dir, "evote-bench", cfg.Validators, nodeArgs, nil)
	if err != nil {
		return nil, err
	}
	defer net.stop()
	nodes := net.nodes
	subs := make([]*api.Client, len(nodes))
	for i, n := range nodes {
		if subs[i], err = newLoadClient(n.url); err != nil {
			return nil, err
		}
		if err := waitReady(ctx, subs[i], n); err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	progress("%d node(s) up; creating an election with %d voters and running its key ceremony ...", len(nodes), cfg.Ballots)
	authority, err := readAuthorityKey(net.authorityKey())
	if err != nil {
		return nil, err
	}
	set, err := setupElection(ctx, apiSubmitter{subs[0]}, electionSpec{
		Template: benchManifest, Reference: "bench-" + hex.EncodeToString(randomBytes(8)), Voters: cfg.Ballots, Authority: authority,
	})
	if err != nil {
		return nil, err
	}
	jointKey, err := fetchJointKey(ctx, subs[0], set.ID)
	if err != nil {
		return nil, err
	}
	el, err := wallet.NewElection(set.ChainID, set.Manifest, jointKey)
	if err != nil {
		return nil, err
	}
	progress("preparing %d ballots on %d cores ...", cfg.Ballots, runtime.NumCPU())
	ballots, err := prepareBallots(el, set.Voters)
	if err != nil {
		return nil, err
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
	res := &ChainBench{CPU: cpuModel(), Cores: runtime.NumCPU(), Validators: cfg.Validators, Clients: cfg.Clients, Ballots: len(ballots)}
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
	return res, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// waitReady polls a node's status until it answers.
func waitReady(ctx context.Context, c *api.Client, n *benchNode) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := c.Status(ctx); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return err
		}
		select {
		case <-n.done:
			return errors.New("the node exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// prepareBallots builds one valid ballot per voter, on every core.
func prepareBallots(el *wallet.Election, voters []*wallet.VoterKey) ([][]byte, error) {
	out := make([][]byte, len(voters))
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(voters) {
					return
				}
				choices := [][]uint64{benchChoices[i%len(benchChoices)]}
				b, err := wallet.BuildBallot(el, voters[i], 1, choices, rand.Reader)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = b.Tx
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// nodesCPU returns the CPU seconds (user + system) the node processes have
// used so far, from /proc.
func nodesCPU(nodes []*benchNode) float64 {
	const clockTicks = 100 // USER_HZ on Linux
	var total float64
	for _, n := range nodes {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid))
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
func nodesPeakRSSMB(nodes []*benchNode) float64 { return nodesStatusMB(nodes, "VmHWM:") }

// nodesRSSMB returns the largest resident set (VmRSS) of the nodes now.
func nodesRSSMB(nodes []*benchNode) float64 { return nodesStatusMB(nodes, "VmRSS:") }

// nodesStatusMB returns the largest value of a kB field of the nodes'
// /proc/PID/status, in MB.
func nodesStatusMB(nodes []*benchNode, field string) float64 {
	var peak float64
	for _, n := range nodes {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.cmd.Process.Pid))
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

func (r *ChainBench) print(out io.Writer) {
	fmt.Fprintf(out, "machine: %s, %d cores (the load generator shares them)\n", r.CPU, r.Cores)
	fmt.Fprintf(out, "network: %d validator(s) on 127.0.0.1; %d clients over HTTP\n\n", r.Validators, r.Clients)
	fmt.Fprintf(out, "committed      %d of %d ballots (%d rejected) in %.1f s\n", r.Committed, r.Ballots, r.Rejected, r.Seconds)
	fmt.Fprintf(out, "throughput     %.0f committed ballots/s\n", r.CommittedPerS)
	fmt.Fprintf(out, "commit latency p50 %.0f ms, p99 %.0f ms\n", r.P50ms, r.P99ms)
	fmt.Fprintf(out, "nodes          %.1f CPU-s in all (%.2f ms per committed ballot), peak RSS %.0f MB (largest node)\n",
		r.NodeCPUSeconds, 1000*r.NodeCPUSeconds/max(1, float64(r.Committed)), r.NodePeakRSSMB)
	fmt.Fprintf(out, "node RSS       %.0f / %.0f / %.0f / %.0f MB after 1/4, 1/2, 3/4 and all of the ballots\n",
		r.RSSByQuarter[0], r.RSSByQuarter[1], r.RSSByQuarter[2], r.RSSByQuarter[3])
	fmt.Fprintf(out, "load generator %.1f CPU-s (%.2f ms per ballot)\n", r.LoadCPUSeconds, 1000*r.LoadCPUSeconds/max(1, float64(r.Ballots)))
	fmt.Fprintf(out, "chain          height %d, app hash %s\n", r.Height, r.AppHash)
}
