package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// An observer is `evote observe` running as its own process, its output in
// a file the test reads.
type observerProc struct {
	*nodeProc
}

// startObserver runs `evote observe` on nodes for election id, with a state
// file in dir and the network's genesis as its anchor.
func startObserver(t *testing.T, tn *testnet, dir, id string) *observerProc {
	t.Helper()
	args := []string{"observe", "--election", id, "--state", filepath.Join(dir, "observer.state"),
		"--genesis", filepath.Join(tn.dir, "node0", "config", "genesis.json")}
	for _, u := range tn.urls {
		args = append(args, "--node", u)
	}
	p := &nodeProc{t: t, name: "observer", home: dir, args: args, log: filepath.Join(dir, "observer.log")}
	p.start()
	t.Cleanup(p.kill)
	return &observerProc{p}
}

var verifiedLine = regexp.MustCompile(`(?m)^verified up to block (\d+) · (\S+) · (\d+) voters`)

// verified returns the last "verified up to block N · phase · V voters"
// line of the observer's output: N and V (-1, -1 if none yet).
func (o *observerProc) verified() (height, voters int64) {
	m := verifiedLine.FindAllStringSubmatch(o.output(), -1)
	if len(m) == 0 {
		return -1, -1
	}
	last := m[len(m)-1]
	h, _ := strconv.ParseInt(last[1], 10, 64)
	v, _ := strconv.ParseInt(last[3], 10, 64)
	return h, v
}

// waitVerified waits until the observer has verified up to block height
// with voters counted, and fails the test if it stops or does not.
func (o *observerProc) waitVerified(tn *testnet, height, voters int64, timeout time.Duration) {
	o.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h, v := o.verified()
		if h >= height && v == voters {
			return
		}
		if !o.running() {
			tn.fatalf("the observer stopped at block %d (%d voters), before block %d with %d voters:\n%s", h, v, height, voters, o.logTail())
		}
		if time.Now().After(deadline) {
			tn.fatalf("the observer verified up to block %d (%d voters) in %v; want block %d with %d voters:\n%s", h, v, timeout, height, voters, o.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// output is what the observer printed in its current (or last) run: the
// log after the line that started it.
func (o *observerProc) output() string {
	b, _ := os.ReadFile(o.log)
	s := string(b)
	if i := strings.LastIndex(s, ": evote observe "); i >= 0 {
		s = s[i:]
	}
	return s
}

func (o *observerProc) String() string { return fmt.Sprintf("observer %s", o.args) }
