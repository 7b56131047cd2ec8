package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// localNet is a network of validators on 127.0.0.1, each a process of this
// binary (`evote node`), written by writeTestnet into dir: what `evote
// bench chain` and `evote demo --validators N` run.
type localNet struct {
	cfg   TestnetConfig
	nodes []*benchNode
}

// benchNode is one validator process of a localNet.
type benchNode struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
}

// startLocalNet writes the homes of a network of validators into dir and
// starts a node process for each. extraArgs gives node i's further flags;
// logTo opens node i's output (nil: discarded).
func startLocalNet(dir, chainID string, validators int, extraArgs func(i int) []string, logTo func(home string) (io.WriteCloser, error)) (*localNet, error) {
	base, err := freePortBlock(3 * validators)
	if err != nil {
		return nil, err
	}
	ln := &localNet{cfg: TestnetConfig{Validators: validators, Dir: dir, ChainID: chainID, BasePort: base, HTTPPort: base + 2*validators}}
	if err := ln.cfg.Validate(); err != nil {
		return nil, err
	}
	if err := writeTestnet(ln.cfg, io.Discard); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for i := range validators {
		home := ln.home(i)
		args := []string{"node", "--home", home}
		if extraArgs != nil {
			args = append(args, extraArgs(i)...)
		}
		var out io.WriteCloser
		if logTo != nil {
			if out, err = logTo(home); err != nil {
				ln.stop()
				return nil, err
			}
		}
		c := exec.Command(self, args...)
		if out != nil {
			c.Stdout, c.Stderr = out, out
		}
		if err := c.Start(); err != nil {
			if out != nil {
				out.Close()
			}
			ln.stop()
			return nil, err
		}
		n := &benchNode{cmd: c, url: fmt.Sprintf("http://127.0.0.1:%d", ln.cfg.HTTPPort+i), done: make(chan struct{})}
		go func() {
			c.Wait()
			if out != nil {
				out.Close()
			}
			close(n.done)
		}()
		ln.nodes = append(ln.nodes, n)
	}
	return ln, nil
}

func (ln *localNet) home(i int) string { return filepath.Join(ln.cfg.Dir, fmt.Sprintf("node%d", i)) }

// authorityKey is the file of the network's election authority key.
func (ln *localNet) authorityKey() string { return filepath.Join(ln.cfg.Dir, "authority.key") }

// genesis is the network's genesis.json.
func (ln *localNet) genesis() string { return filepath.Join(ln.home(0), "config", "genesis.json") }

// stop ends every node: SIGTERM (a node stops cleanly and writes its
// profile), then SIGKILL for one that has not exited within 15 s.
func (ln *localNet) stop() error {
	for _, n := range ln.nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range ln.nodes {
		select {
		case <-n.done:
		case <-time.After(15 * time.Second):
			n.cmd.Process.Kill()
			<-n.done
		}
	}
	return nil
}
