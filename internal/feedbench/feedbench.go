// Package feedbench is `evote bench feed`: one polling node in this
// process serving the API and the feed, many websocket clients of the feed,
// and a load of valid ballots over HTTP. It measures how long a committed
// block takes to reach the clients, which clients the node drops, and the
// committed ballots per second with and without the clients.
package feedbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/bench"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/loadgen"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/web"
)

// Config configures a run.
type Config struct {
	Clients    int  // feed clients
	Ballots    int  // ballots in each half (without, then with the clients)
	Submitters int  // concurrent HTTP clients submitting ballots
	Light      bool // the feed's light form (no transaction bytes)
	Buffer     int  // the feed's per-client buffer (0: the default)
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Clients < 1 || c.Clients > 20000:
		return fmt.Errorf("--clients must be 1..20000, got %d", c.Clients)
	case c.Ballots < 1 || c.Ballots > 100000:
		return fmt.Errorf("--ballots must be 1..100000, got %d", c.Ballots)
	case c.Submitters < 1 || c.Submitters > 4096:
		return fmt.Errorf("--submitters must be 1..4096, got %d", c.Submitters)
	case c.Buffer < 0:
		return fmt.Errorf("--buffer must not be negative, got %d", c.Buffer)
	}
	return nil
}

// Half is what one half of the run measured.
type Half struct {
	FeedClients   int     `json:"feed_clients"`
	Committed     int     `json:"committed"`
	Rejected      int     `json:"rejected"`
	Seconds       float64 `json:"seconds"`
	CommittedPerS float64 `json:"committed_per_s"`
	Blocks        int64   `json:"blocks"`
	// Delivery delay: from the node's commit of a block to its arrival at
	// a feed client, over every (client, block) pair.
	Deliveries int     `json:"deliveries"`
	DelayP50ms float64 `json:"delay_p50_ms"`
	DelayP99ms float64 `json:"delay_p99_ms"`
	DelayMaxms float64 `json:"delay_max_ms"`
	Dropped    int     `json:"dropped"`      // clients closed by the node
	FeedMB     float64 `json:"feed_mb"`      // message bytes the clients received
	MaxBlockKB float64 `json:"max_block_kb"` // the largest block message
}

// Result is a run's figures.
type Result struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Light   bool   `json:"light"`
	Buffer  int    `json:"buffer"`
	Without Half   `json:"without_clients"` // one probe client only
	With    Half   `json:"with_clients"`
}

// Run starts a node in a temporary home, creates an election with
// 2*cfg.Ballots voters and prepares their ballots; then submits the first
// half with one probe feed client connected, and the second with
// cfg.Clients feed clients (of the election, from the next block).
func Run(ctx context.Context, cfg Config, progress func(string, ...any)) (*Result, error) {
	dir, err := os.MkdirTemp("", "evote-feedbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	node, authority, err := startNode(filepath.Join(dir, "node"))
	if err != nil {
		return nil, err
	}
	defer node.Stop()
	l, err := web.Listen(node, "127.0.0.1:0", web.Config{Feed: web.FeedConfig{MaxClients: cfg.Clients + 1, Buffer: cfg.Buffer}},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	defer l.Stop()
	commits := watchCommits(ctx, node)
	sub, err := loadgen.Client(l.URL)
	if err != nil {
		return nil, err
	}
	progress("node up at %s; creating an election with %d voters and running its key ceremony ...", l.URL, 2*cfg.Ballots)
	ref := make([]byte, 8)
	rand.Read(ref)
	set, err := harness.Setup(ctx, harness.NewAPI(sub), harness.Spec{Template: loadgen.ElectionTemplate(), Reference: "feedbench-" + hex.EncodeToString(ref),
		TrusteeName: "Sample trustee %d", Voters: 2 * cfg.Ballots, RollBatch: 10000, Authority: authority})
	if err != nil {
		return nil, err
	}
	el, err := set.Wallet(ctx)
	if err != nil {
		return nil, err
	}
	progress("preparing %d ballots on %d cores ...", 2*cfg.Ballots, runtime.NumCPU())
	built, err := harness.Ballots(el, set.Voters, func(i int) [][]uint64 { return [][]uint64{bench.Choices[i%len(bench.Choices)]} })
	if err != nil {
		return nil, err
	}
	ballots := make([][]byte, len(built))
	for i, b := range built {
		ballots[i] = b.Tx
	}
	res := &Result{CPU: bench.CPUModel(), Cores: runtime.NumCPU(), Light: cfg.Light, Buffer: cfg.Buffer}
	if res.Buffer == 0 {
		res.Buffer = 64
	}
	wsURL := "ws" + strings.TrimPrefix(l.URL, "http") + "/api/v1/feed?election=" + set.ID.String()
	if cfg.Light {
		wsURL += "&light=1"
	}
	for i, half := range []*Half{&res.Without, &res.With} {
		n := 1
		if i == 1 {
			n = cfg.Clients
		}
		progress("connecting %d feed client(s) ...", n)
		from := node.App().Store()
		meta, err := from.Meta()
		if err != nil {
			return nil, err
		}
		clients, err := dialClients(ctx, wsURL+"&from="+strconv.FormatInt(meta.Height+1, 10), n)
		if err != nil {
			return nil, err
		}
		progress("submitting %d ballots with %d submitters ...", cfg.Ballots, cfg.Submitters)
		part := ballots[i*cfg.Ballots : (i+1)*cfg.Ballots]
		if err := submit(ctx, sub, part, cfg.Submitters, half); err != nil {
			return nil, err
		}
		end, err := from.Meta()
		if err != nil {
			return nil, err
		}
		half.FeedClients, half.Blocks = n, end.Height-meta.Height
		// Let the last block reach every client, then stop them.
		waitDelivered(clients, end.Height, 30*time.Second)
		for _, c := range clients {
			c.conn.Close()
		}
		var delays []time.Duration
		for _, c := range clients {
			<-c.done
			if c.dropped {
				half.Dropped++
			}
			half.FeedMB += float64(c.bytes) / 1e6
			half.MaxBlockKB = max(half.MaxBlockKB, float64(c.largest)/1e3)
			for _, r := range c.got {
				if at, ok := commits.at(r.height); ok {
					delays = append(delays, max(0, r.at.Sub(at)))
				}
			}
		}
		half.Deliveries = len(delays)
		if len(delays) > 0 {
			slices.Sort(delays)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
			half.DelayP50ms = ms(delays[len(delays)/2])
			half.DelayP99ms = ms(delays[min(len(delays)-1, len(delays)*99/100)])
			half.DelayMaxms = ms(delays[len(delays)-1])
		}
	}
	return res, nil
}

// startNode writes a one-validator home whose genesis names a fresh
// authority and starts its node.
func startNode(home string) (*chain.Node, *election.PrivateKey, error) {
	return localnet.StartNodeWithAuthority(home, "feedbench", "evote-feedbench")
}

// commitTimes records when the app committed each height, woken by the
// same signal as the feed's hub.
type commitTimes struct {
	mu sync.Mutex
	t  map[int64]time.Time
}

func (c *commitTimes) at(h int64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.t[h]
	return t, ok
}

func watchCommits(ctx context.Context, n *chain.Node) *commitTimes {
	c := &commitTimes{t: map[int64]time.Time{}}
	go func() {
		var last int64
		for {
			sig := n.CommitSignal()
			meta, err := n.App().Store().Meta()
			if err != nil {
				return
			}
			now := time.Now()
			c.mu.Lock()
			for h := last + 1; last > 0 && h <= meta.Height; h++ {
				c.t[h] = now
			}
			c.mu.Unlock()
			last = meta.Height
			select {
			case <-sig:
			case <-ctx.Done():
				return
			}
		}
	}()
	return c
}

type arrival struct {
	height int64
	at     time.Time
}

// client is one feed client: it reads every message and notes the height
// and arrival time of each block.
type client struct {
	conn    *websocket.Conn
	done    chan struct{}
	last    atomic.Int64
	got     []arrival
	bytes   int64
	largest int
	dropped bool // closed by the node (any close code but a normal one) or cut
}

var heightKey = []byte(`"height":`)

func dialClients(ctx context.Context, url string, n int) ([]*client, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 64 << 10}
	out := make([]*client, 0, n)
	for range n {
		conn, _, err := d.DialContext(ctx, url, nil)
		if err != nil {
			for _, c := range out {
				c.conn.Close()
			}
			return nil, fmt.Errorf("feed client %d: %w", len(out)+1, err)
		}
		c := &client{conn: conn, done: make(chan struct{})}
		go c.read()
		out = append(out, c)
	}
	return out, nil
}

func (c *client) read() {
	defer close(c.done)
	first := true
	// Each message is read into this buffer as far as its height and the
	// rest counted and dropped: 1,000 clients in the node's process must
	// cost it as little as a remote client would.
	head := make([]byte, 512)
	for {
		_, r, err := c.conn.NextReader()
		at := time.Now()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseNormalClosure {
				c.dropped = true
			}
			return
		}
		n, err := io.ReadFull(r, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return
		}
		rest, err := io.Copy(io.Discard, r)
		if err != nil {
			return
		}
		size := int64(n) + rest
		c.bytes += size
		c.largest = max(c.largest, int(size))
		if first { // the hello
			first = false
			continue
		}
		// {"type":"block","block":{"height":H,...: the first height is the
		// block's.
		m := head[:n]
		i := bytes.Index(m, heightKey)
		if i < 0 {
			continue
		}
		tail := m[i+len(heightKey):]
		j := bytes.IndexAny(tail, ",}")
		h, err := strconv.ParseInt(string(tail[:max(j, 0)]), 10, 64)
		if err != nil {
			continue
		}
		c.got = append(c.got, arrival{h, at})
		c.last.Store(h)
	}
}

// waitDelivered waits until every client still connected has block h, or
// the timeout.
func waitDelivered(clients []*client, h int64, timeout time.Duration) {
	deadline := time.After(timeout)
	for _, c := range clients {
		for c.last.Load() < h {
			select {
			case <-c.done:
			case <-deadline:
				return
			case <-time.After(10 * time.Millisecond):
				continue
			}
			break
		}
	}
}

// submit has n submitters send ballots and wait for their commits.
func submit(ctx context.Context, c *api.Client, ballots [][]byte, n int, half *Half) error {
	var next, committed, rejected atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ballots) || ctx.Err() != nil {
					return
				}
				r, err := c.Submit(ctx, ballots[i], api.SubmitOptions{Wait: true, NoReceipt: true})
				var refused *api.RefusedError
				var answered *api.Error
				switch {
				case errors.As(err, &refused), errors.As(err, &answered), err == nil && !r.Committed:
					rejected.Add(1)
				case err != nil:
					once.Do(func() { firstErr = err })
					return
				default:
					committed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	half.Committed, half.Rejected = int(committed.Load()), int(rejected.Load())
	half.Seconds = elapsed.Seconds()
	half.CommittedPerS = float64(half.Committed) / elapsed.Seconds()
	return firstErr
}

// Print writes the result for a reader.
func (r *Result) Print(out io.Writer) {
	form := "full"
	if r.Light {
		form = "light"
	}
	fmt.Fprintf(out, "machine: %s, %d cores (node, feed clients and load generator share them)\n", r.CPU, r.Cores)
	fmt.Fprintf(out, "feed: one election, %s form, buffer %d blocks per client\n\n", form, r.Buffer)
	fmt.Fprintf(out, "%-28s %14s %14s\n", "", "without", "with")
	row := func(name, format string, a, b any) {
		fmt.Fprintf(out, "%-28s %14s %14s\n", name, fmt.Sprintf(format, a), fmt.Sprintf(format, b))
	}
	w, c := r.Without, r.With
	row("feed clients", "%d", w.FeedClients, c.FeedClients)
	row("committed ballots", "%d", w.Committed, c.Committed)
	row("committed ballots/s", "%.0f", w.CommittedPerS, c.CommittedPerS)
	row("blocks", "%d", w.Blocks, c.Blocks)
	row("deliveries", "%d", w.Deliveries, c.Deliveries)
	row("delay after commit p50 ms", "%.1f", w.DelayP50ms, c.DelayP50ms)
	row("delay after commit p99 ms", "%.1f", w.DelayP99ms, c.DelayP99ms)
	row("delay after commit max ms", "%.1f", w.DelayMaxms, c.DelayMaxms)
	row("dropped clients", "%d", w.Dropped, c.Dropped)
	row("feed received MB", "%.1f", w.FeedMB, c.FeedMB)
	row("largest block message KB", "%.1f", w.MaxBlockKB, c.MaxBlockKB)
	fmt.Fprintln(out, "\n(without: one probe client to time delivery; \"dropped\" counts clients the node closed)")
}
