package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/observer/feed"
	"github.com/evote/evote/web"
)

// NodeConfig configures a running polling node (`evote up`, `evote node`).
type NodeConfig struct {
	Home     string // node home: config/, data/, keys/
	HTTPAddr string // the API and pages, e.g. 127.0.0.1:8080
	LogLevel string // CometBFT's log level: debug, info, error, none
	Web      web.Config
	// CometMetrics is the listen address of CometBFT's own Prometheus
	// metrics (host:port); empty leaves them off unless config.toml
	// turns them on.
	CometMetrics string
	// ExitOnHalt is how long a node halted for a cause only a restart
	// cures (consensus failure, store error, full disk) keeps serving its
	// 503s before the process exits with exitHalted; 0 never exits.
	ExitOnHalt time.Duration
	// MaxBehind and NoPeersTimeout: chain.Options.
	MaxBehind      int64
	NoPeersTimeout time.Duration
	// SnapshotInterval and SnapshotKeep: chain.SnapshotOptions.
	SnapshotInterval int64
	SnapshotKeep     int
}

// exitHalted is the exit code of a node that halted (--exit-on-halt).
const exitHalted = 4

// defaultExitOnHalt leaves load balancers polling /readyz time to see
// the 503 and drain the node before it exits and its supervisor restarts
// it: a restart is what recovers a consensus failure, since CometBFT's
// consensus cannot be restarted in the process.
const defaultExitOnHalt = 30 * time.Second

// Validate checks the configuration.
func (c NodeConfig) Validate() error {
	if c.Home == "" {
		return errors.New("--home is empty")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("--http %q: %w", c.HTTPAddr, err)
	}
	switch c.LogLevel {
	case "debug", "info", "error", "none":
	default:
		return fmt.Errorf("--log-level must be debug, info, error or none, got %q", c.LogLevel)
	}
	if c.CometMetrics != "" {
		if _, _, err := net.SplitHostPort(c.CometMetrics); err != nil {
			return fmt.Errorf("--cometbft-metrics %q: %w", c.CometMetrics, err)
		}
	}
	if c.ExitOnHalt < 0 || c.MaxBehind < 0 || c.NoPeersTimeout < 0 {
		return errors.New("--exit-on-halt, --max-behind and --no-peers-timeout must not be negative")
	}
	if c.SnapshotInterval < 0 || c.SnapshotKeep < 0 {
		return errors.New("--snapshot-interval and --snapshot-keep must not be negative")
	}
	if err := c.Web.Validate(); err != nil {
		return fmt.Errorf("--feed-*, --api-origins, --peer-nodes, --tls-*: %w", err)
	}
	return nil
}

func nodeConfig(e *env) NodeConfig {
	return NodeConfig{Home: e.v.GetString("home"), HTTPAddr: e.v.GetString("http"), LogLevel: e.v.GetString("log-level"),
		CometMetrics: e.v.GetString("cometbft-metrics"),
		ExitOnHalt:   e.v.GetDuration("exit-on-halt"), MaxBehind: e.v.GetInt64("max-behind"), NoPeersTimeout: e.v.GetDuration("no-peers-timeout"),
		SnapshotInterval: e.v.GetInt64("snapshot-interval"), SnapshotKeep: e.v.GetInt("snapshot-keep"),
		Web: web.Config{Feed: web.FeedConfig{
			MaxClients:     e.v.GetInt("feed-max-clients"),
			Buffer:         e.v.GetInt("feed-buffer"),
			SocketBuffer:   e.v.GetInt("feed-socket-buffer"),
			AllowedOrigins: e.v.GetStringSlice("feed-origins"),
		},
			APIOrigins:         e.v.GetStringSlice("api-origins"),
			PeerNodes:          e.v.GetStringSlice("peer-nodes"),
			TLSCert:            e.v.GetString("tls-cert"),
			TLSKey:             e.v.GetString("tls-key"),
			MaxConns:           e.v.GetInt("max-connections"),
			MaxConnsPerAddress: e.v.GetInt("max-connections-per-address"),
		}}
}

func addNodeFlags(cmd *cobra.Command) {
	cmd.Flags().String("http", "127.0.0.1:8080", "listen address of the HTTP API and pages")
	cmd.Flags().String("log-level", "error", "consensus log level: debug, info, error or none (written to HOME/node.log)")
	cmd.Flags().Int("feed-max-clients", feed.DefaultMaxClients, "feed clients served at once; one more is closed with 1013 (docs/spec/feed.md)")
	cmd.Flags().Int("feed-buffer", feed.DefaultBuffer, "blocks queued per feed client before it is dropped as too slow (close 4001)")
	cmd.Flags().Int("feed-socket-buffer", web.DefaultFeedSocketBuffer, "kernel send buffer per feed client, bytes")
	cmd.Flags().StringSlice("feed-origins", nil, "origins (scheme://host[:port], or *) whose pages may open the feed besides the node's own")
	cmd.Flags().StringSlice("api-origins", []string{"*"}, "origins (scheme://host[:port]) whose pages may call the API; * for any, self for this node's pages only")
	cmd.Flags().StringSlice("peer-nodes", nil, "other polling nodes (scheme://host[:port]) whose API this node's pages may call; the wallet offers their elections")
	cmd.Flags().Int("max-connections", web.DefaultMaxConns, "HTTP connections held open at most (feed clients included); one more is answered 503 with Retry-After")
	cmd.Flags().Int("max-connections-per-address", web.DefaultMaxConnsPerAddress, "HTTP connections held open at most per client address")
	cmd.Flags().String("tls-cert", "", "serve HTTPS with this PEM certificate chain `FILE` (with --tls-key); empty: plain HTTP")
	cmd.Flags().String("tls-key", "", "the PEM private key `FILE` of --tls-cert")
	cmd.Flags().String("cometbft-metrics", "", "serve CometBFT's own Prometheus metrics on this address (host:port); empty: off")
	cmd.Flags().Duration("exit-on-halt", defaultExitOnHalt, "after a halt that only a restart cures (consensus failure, store error, full disk) has lasted this long, exit with code 4 for the supervisor to restart the node; 0: stay up, halted")
	cmd.Flags().Int64("max-behind", chain.DefaultMaxBehind, "blocks the node may lag behind its peers before it halts as behind-peers (not ready, writes refused)")
	cmd.Flags().Duration("no-peers-timeout", chain.DefaultNoPeersTimeout, "time a node of several validators (or a replica) may have no peer before it halts as no-peers")
	cmd.Flags().Int64("snapshot-interval", chain.DefaultSnapshotInterval, "blocks between the state sync snapshots the node writes under HOME/data/snapshots and offers to replicas; 0: none")
	cmd.Flags().Int("snapshot-keep", chain.DefaultSnapshotKeep, "state sync snapshots kept")
}

// runningNode is a started polling node with its HTTP server.
type runningNode struct {
	node *chain.Node
	http *web.Listener
	url  string
	log  *os.File

	exitOnHalt time.Duration // NodeConfig.ExitOnHalt
}

// startNode opens the home, starts consensus and serves the API.
func startNode(cfg NodeConfig) (*runningNode, error) {
	logFile, err := os.OpenFile(filepath.Join(cfg.Home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	conf, err := cometconf.Load(cfg.Home)
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if cfg.CometMetrics != "" {
		conf.Instrumentation.Prometheus = true
		conf.Instrumentation.PrometheusListenAddr = cfg.CometMetrics
	}
	n, err := chain.NewNode(conf, chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: logFile, LogLevel: cfg.LogLevel,
		MaxBehind: cfg.MaxBehind, NoPeersTimeout: cfg.NoPeersTimeout,
		Snapshots: chain.SnapshotOptions{Interval: cfg.SnapshotInterval, Keep: cfg.SnapshotKeep}})
	if err == nil {
		err = n.Start()
	}
	if err != nil {
		logFile.Close()
		return nil, err
	}
	l, err := web.Listen(n, cfg.HTTPAddr, cfg.Web, slog.New(slog.NewTextHandler(logFile, nil)))
	if err != nil {
		n.Stop()
		logFile.Close()
		return nil, err
	}
	return &runningNode{node: n, http: l, url: l.URL, log: logFile, exitOnHalt: cfg.ExitOnHalt}, nil
}

// wait blocks until ctx ends, the HTTP server fails, or the node has been
// halted for longer than --exit-on-halt by a cause only a restart cures;
// then it stops all. A halt ends in an exitHalted error.
func (rn *runningNode) wait(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return rn.stop()
		case err := <-rn.http.Err():
			return errors.Join(err, rn.stop())
		case <-tick.C:
		}
		h, ok := rn.node.Halted()
		if ok && rn.exitOnHalt > 0 && !h.Cause.Recovers() && time.Since(h.Since) >= rn.exitOnHalt {
			err := fmt.Errorf("the node halted (%s) at %s: %s; exiting for a restart (docs/operations.md)",
				h.Cause, h.Since.UTC().Format(time.RFC3339), h.Reason)
			rn.stop()
			return &exitError{code: exitHalted, err: err}
		}
	}
}

// stop stops the HTTP server (web.ShutdownGrace for the requests under
// way), then the node.
func (rn *runningNode) stop() error {
	err := errors.Join(rn.http.Stop(), rn.node.Stop())
	rn.log.Close()
	return err
}

func newNodeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "run the polling node of a home (made by evote node init and join, evote testnet or evote up)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := nodeConfig(e)
			if err := cfg.Validate(); err != nil {
				return err
			}
			if path := e.v.GetString("cpu-profile"); path != "" {
				stop, err := startCPUProfile(path)
				if err != nil {
					return err
				}
				defer stop()
			}
			rn, err := startNode(cfg)
			if err != nil {
				return damagedExit(err)
			}
			st, err := rn.node.Status(cmd.Context())
			if err != nil {
				rn.stop()
				return err
			}
			fmt.Fprintf(e.stdout, "evote node %s: chain %s at height %d; API on %s\n", cfg.Home, st.ChainID, st.Height, rn.url)
			return rn.wait(cmd.Context())
		},
	}
	addNodeFlags(cmd)
	cmd.Flags().String("cpu-profile", "", "write a CPU profile (pprof) of the node to this file until it stops")
	cmd.AddCommand(newNodeInitCmd(e), newNodeJoinCmd(e), newNodeRepairCmd(e))
	return cmd
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// TestnetConfig configures `evote testnet`.
type TestnetConfig = localnet.Testnet

func newTestnetCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "write the homes of an N-validator network on 127.0.0.1",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg := TestnetConfig{
				Validators: e.v.GetInt("validators"), Dir: e.v.GetString("dir"), ChainID: e.v.GetString("chain-id"),
				BasePort: e.v.GetInt("base-port"), HTTPPort: e.v.GetInt("http-port"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return writeTestnet(cfg, e.stdout)
		},
	}
	cmd.Flags().Int("validators", 4, "number of validators")
	cmd.Flags().String("dir", "", "directory for the homes node0 ... node{N-1}")
	cmd.Flags().String("chain-id", "evote-testnet", "chain id")
	cmd.Flags().Int("base-port", 26656, "node i listens for p2p on base+2i and RPC on base+2i+1")
	cmd.Flags().Int("http-port", 8080, "node i serves the HTTP API on 127.0.0.1:(http-port+i)")
	return cmd
}

func writeTestnet(cfg TestnetConfig, out io.Writer) error {
	w, err := localnet.WriteTestnet(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d validator homes of chain %s under %s\n", len(w.Homes), cfg.ChainID, cfg.Dir)
	for i, home := range w.Homes {
		fmt.Fprintf(out, "  evote node --home %s    # API on http://127.0.0.1:%d\n", home, cfg.HTTPPort+i)
	}
	fmt.Fprintf(out, "election authority key: %s (public %s)\n", w.AuthorityKey, w.Authority.AuthorityPublic())
	fmt.Fprintf(out, "  the officials' commands sign with it: evote election create --authority-key %s ... (or EVOTE_AUTHORITY_KEY)\n", w.AuthorityKey)
	return nil
}

func newStatusCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "print a node's chain id, height, app hash and validators",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := api.NewClient(e.v.GetString("node"), &http.Client{Timeout: 10 * time.Second})
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			if e.v.GetBool("json") {
				return json.NewEncoder(e.stdout).Encode(st)
			}
			fmt.Fprintf(e.stdout, "chain      %s\nheight     %d\napp hash   %s\nblock time %s\nvalidators %d\n",
				st.ChainID, st.Height, st.AppHash, st.BlockTime.Format(time.RFC3339), len(st.Validators))
			for _, v := range st.Validators {
				fmt.Fprintf(e.stdout, "  %s power %d\n", v.Address, v.Power)
			}
			return nil
		},
	}
	cmd.Flags().String("node", "http://127.0.0.1:8080", "the node's HTTP address")
	cmd.Flags().Bool("json", false, "print JSON")
	return cmd
}
