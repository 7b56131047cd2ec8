// Package localnet runs a network of validators on 127.0.0.1, each a
// process of the evote binary (`evote node`): what `evote bench chain` and
// `evote demo --validators N` run, on homes written as `evote testnet`
// writes them (WriteTestnet).
package localnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/cometconf"
)

// Net is a running network.
type Net struct {
	Dir        string
	Nodes      []*Node
	self       string // the evote binary
	logTo      func(home string) (io.WriteCloser, error)
	validators int
}

// Node is one validator process.
type Node struct {
	Cmd  *exec.Cmd
	URL  string
	RPC  string        // a replica's CometBFT RPC (http://host:port); "" for a validator
	Done chan struct{} // closed when the process has exited
}

// Options describe a network to start.
type Options struct {
	Dir        string
	ChainID    string
	Validators int
	// Binary is the evote binary (default: this process's executable).
	Binary string
	// Args gives node i's further flags.
	Args func(i int) []string
	// LogTo opens node i's output (nil: discarded).
	LogTo func(home string) (io.WriteCloser, error)
	// Hosts puts node i on 127.0.0.(2+i) (Testnet.Hosts).
	Hosts bool
}

// Start writes the network's homes into opts.Dir and starts a node process
// for each validator.
func Start(opts Options) (*Net, error) {
	base, err := FreePortBlock(3 * opts.Validators)
	if err != nil {
		return nil, err
	}
	httpPort := base + 2*opts.Validators
	tn := Testnet{Validators: opts.Validators, Dir: opts.Dir, ChainID: opts.ChainID, BasePort: base, HTTPPort: httpPort, Hosts: opts.Hosts}
	if _, err := WriteTestnet(tn); err != nil {
		return nil, err
	}
	self := opts.Binary
	if self == "" {
		if self, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	ln := &Net{Dir: opts.Dir, self: self, logTo: opts.LogTo, validators: opts.Validators}
	for i := range opts.Validators {
		home := ln.Home(i)
		args := []string{"node", "--home", home}
		if opts.Args != nil {
			args = append(args, opts.Args(i)...)
		}
		n, err := ln.start(home, args, tn.URL(i))
		if err != nil {
			ln.Stop()
			return nil, err
		}
		ln.Nodes = append(ln.Nodes, n)
	}
	return ln, nil
}

// start runs the evote process of home with args; url is its API.
func (ln *Net) start(home string, args []string, url string) (*Node, error) {
	var out io.WriteCloser
	if ln.logTo != nil {
		var err error
		if out, err = ln.logTo(home); err != nil {
			return nil, err
		}
	}
	c := exec.Command(ln.self, args...)
	if out != nil {
		c.Stdout, c.Stderr = out, out
	}
	if err := c.Start(); err != nil {
		if out != nil {
			out.Close()
		}
		return nil, err
	}
	n := &Node{Cmd: c, URL: url, Done: make(chan struct{})}
	go func() {
		c.Wait()
		if out != nil {
			out.Close()
		}
		close(n.Done)
	}()
	return n, nil
}

// AddReplica makes a node that is not a validator as anyone would
// (chain.InitNode, then chain.JoinNetwork with the network's genesis and
// its validators' cards, as `evote node init` and `evote node join
// --replica` do), starts it, and adds it to the nodes Stop ends. It
// catches up by block sync.
func (ln *Net) AddReplica() (*Node, error) { return ln.AddReplicaWith(ReplicaOptions{}) }

// ReplicaOptions are how a replica joins.
type ReplicaOptions struct {
	// StateSync: the replica starts from a recent snapshot of the
	// validators (evote node join --state-sync, with validators 0 and 1's
	// RPC and the latest header both give as the trusted one), then block
	// syncs to the tip.
	StateSync bool
}

// AddReplicaWith is AddReplica with o.
func (ln *Net) AddReplicaWith(o ReplicaOptions) (*Node, error) {
	base, err := FreePortBlock(3)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(ln.Dir, fmt.Sprintf("replica%d", len(ln.Nodes)-ln.validators))
	if _, err := chain.InitNode(home, chain.NodeInit{Moniker: "replica",
		P2PListen: fmt.Sprintf("tcp://127.0.0.1:%d", base), RPCListen: fmt.Sprintf("tcp://127.0.0.1:%d", base+1)}); err != nil {
		return nil, err
	}
	var cards []*chain.Card
	for i := range ln.validators {
		c, err := chain.ReadCard(filepath.Join(ln.Home(i), chain.CardFile))
		if err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		return nil, err
	}
	if _, err := chain.JoinNetwork(conf, filepath.Join(ln.Dir, "genesis.json"), cards, true); err != nil {
		return nil, err
	}
	if o.StateSync {
		var rpcs []string
		for i := range min(2, ln.validators) {
			vc, err := cometconf.Load(ln.Home(i))
			if err != nil {
				return nil, err
			}
			rpcs = append(rpcs, strings.Replace(vc.RPC.ListenAddress, "tcp://", "http://", 1))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		h, hash, err := chain.TrustedHeader(ctx, rpcs)
		cancel()
		if err != nil {
			return nil, err
		}
		if err := chain.EnableStateSync(conf, chain.StateSync{RPCServers: rpcs, TrustHeight: h, TrustHash: hash}); err != nil {
			return nil, err
		}
	}
	if err := WriteNodeSettings(home, fmt.Sprintf("127.0.0.1:%d", base+2), nil); err != nil {
		return nil, err
	}
	n, err := ln.start(home, []string{"node", "--home", home}, fmt.Sprintf("http://127.0.0.1:%d", base+2))
	if err != nil {
		return nil, err
	}
	n.RPC = fmt.Sprintf("http://127.0.0.1:%d", base+1)
	ln.Nodes = append(ln.Nodes, n)
	return n, nil
}

// Home is node i's home.
func (ln *Net) Home(i int) string { return filepath.Join(ln.Dir, fmt.Sprintf("node%d", i)) }

// AuthorityKey is the file of the network's election authority key.
func (ln *Net) AuthorityKey() string { return filepath.Join(ln.Dir, "authority.key") }

// Genesis is the network's genesis.json.
func (ln *Net) Genesis() string { return filepath.Join(ln.Home(0), "config", "genesis.json") }

// Stop ends every node: SIGTERM (a node stops cleanly and writes its
// profile), then SIGKILL for one that has not exited within 15 s.
func (ln *Net) Stop() error {
	for _, n := range ln.Nodes {
		n.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range ln.Nodes {
		select {
		case <-n.Done:
		case <-time.After(15 * time.Second):
			n.Cmd.Process.Kill()
			<-n.Done
		}
	}
	return nil
}

// FreePortBlock returns the first of n consecutive free TCP ports on
// 127.0.0.1, for a network's p2p, RPC and HTTP listeners.
func FreePortBlock(n int) (int, error) {
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

// WaitReady polls a node's status until it answers with at least height
// minHeight, for up to 60 s; done, if not nil, closes when the node's
// process has exited.
func WaitReady(ctx context.Context, c *api.Client, minHeight int64, done <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := c.Status(ctx)
		if err == nil && st.Height >= minHeight {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("at height %d", st.Height)
			}
			return fmt.Errorf("not ready within 60 s: %w", err)
		}
		select {
		case <-done:
			return errors.New("the node exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
