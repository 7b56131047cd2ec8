package test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/evote/evote/chain"
)

// readyz is what GET /readyz answers.
type readyz struct {
	Status int
	Ready  bool   `json:"ready"`
	Reason string `json:"reason"`
	Halted string `json:"halted"`
}

func getReadyz(url string) (readyz, error) {
	resp, err := httpClient.Get(url + "/readyz")
	if err != nil {
		return readyz{}, err
	}
	defer resp.Body.Close()
	r := readyz{Status: resp.StatusCode}
	return r, json.NewDecoder(resp.Body).Decode(&r)
}

// waitReadyz waits until node i's /readyz satisfies ok.
func (tn *testnet) waitReadyz(i int, timeout time.Duration, what string, ok func(readyz) bool) readyz {
	tn.t.Helper()
	var last readyz
	err := eventually(timeout, 200*time.Millisecond, func() error {
		var err error
		if last, err = getReadyz(tn.urls[i]); err != nil {
			return err
		}
		if !ok(last) {
			return fmt.Errorf("/readyz %d %+v", last.Status, last)
		}
		return nil
	})
	if err != nil {
		tn.fatalf("node %d: waiting for %s: %v", i, what, err)
	}
	return last
}

// TestNodeHalts runs four validators of the real binary. Node 3 is
// stopped, two of its store's tally rows swapped, and started again with
// --exit-on-halt: at the block after the next ballot the other three
// commit a header whose app hash its store does not give, and it halts
// with consensus-failure: /readyz 503 naming the cause, a ballot refused
// 503 with Retry-After (never 504 "admitted"), reads marked stale,
// evote_halted{cause="consensus-failure"} 1, and then the process exits
// with code 4. Then nodes 1 and 2 stop: node 0, cut off from its peers,
// is not ready after --no-peers-timeout (cause no-peers), stays up, and is
// ready again once a peer is back.
func TestNodeHalts(t *testing.T) {
	t.Parallel()
	const nodes = 4
	tn := writeTestnet(t, nodes)
	home := func(i int) string { return filepath.Join(tn.dir, fmt.Sprintf("node%d", i)) }
	flags := []string{"--no-peers-timeout", "3s"}
	for i := range nodes {
		f := flags
		if i == 3 {
			f = append(f, "--exit-on-halt", "20s")
		}
		tn.nodes[i] = startNodeProc(t, fmt.Sprintf("node%d", i), home(i), f...)
	}
	for i := range nodes {
		tn.waitUp(i, time.Minute)
	}
	se := tn.sample(4)
	bs := se.ballots(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if a, err := submit(ctx, tn.urls[0], bs[0].tx); err != nil || a.Status != http.StatusOK {
		tn.fatalf("ballot 0: %+v %v", a, err)
	}
	snap := tn.agree([]int{0, 1, 2, 3}, se.id, 0, time.Minute)

	// Swap two of node 3's running tally rows while it runs (stopped, it
	// would refuse to start on them: TestNodeRefusesAlteredState), as a disk or
	// another program would behind its back.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(home(3), "data", chain.StoreFile)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT key, value FROM kv WHERE instr(key, CAST('/agg/' AS BLOB)) > 0 ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	var keys, values [][]byte
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		keys, values = append(keys, k), append(values, v)
	}
	rows.Close()
	if len(keys) < 2 || bytes.Equal(values[0], values[1]) {
		t.Fatalf("%d tally rows in node 3's store", len(keys))
	}
	for j, v := range [][]byte{values[1], values[0]} {
		if _, err := db.Exec("UPDATE kv SET value = ? WHERE key = ?", v, keys[j]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	// Node 3's /readyz, watched from now on: it halts while the ballots
	// below are committed, and exits some seconds later, which a loaded
	// machine may reach before the ballots' answers come back.
	halted := make(chan readyz, 1)
	go func() {
		for ctx.Err() == nil {
			if r, err := getReadyz(tn.urls[3]); err == nil && r.Halted != "" {
				halted <- r
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// The next ballots make two blocks: node 3 executes the first on its
	// altered rows, and finds the second's header naming another app hash.
	for _, b := range bs[1:3] {
		if a, err := submit(ctx, tn.urls[0], b.tx); err != nil || a.Status != http.StatusOK {
			tn.fatalf("a ballot to node 0: %+v %v", a, err)
		}
	}
	var r readyz
	select {
	case r = <-halted:
	case <-time.After(time.Minute):
		tn.fatalf("node 3 did not halt within a minute of the ballots")
	}
	if r.Status != http.StatusServiceUnavailable || r.Ready || r.Halted != string(chain.HaltConsensusFailure) || r.Reason == "" {
		tn.fatalf("node 3's /readyz: %+v", r)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tn.urls[3]+"/api/v1/transactions?wait=commit", bytes.NewReader(bs[3].tx))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := httpClient.Do(req)
	if err != nil {
		tn.fatalf("a ballot to the halted node: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		tn.fatalf("a ballot to the halted node: %d (Retry-After %q) %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, err = httpClient.Get(tn.urls[3] + "/api/v1/status")
	if err != nil {
		tn.fatalf("status of the halted node: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("X-Evote-Stale"), string(chain.HaltConsensusFailure)) {
		tn.fatalf("status of the halted node: %d, X-Evote-Stale %q", resp.StatusCode, resp.Header.Get("X-Evote-Stale"))
	}
	resp, err = httpClient.Get(tn.urls[3] + "/metrics")
	if err != nil {
		tn.fatalf("metrics of the halted node: %v", err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `evote_halted{cause="consensus-failure"} 1`) || !strings.Contains(string(metrics), `evote_halted{cause="no-peers"} 0`) {
		tn.fatalf("metrics of the halted node:\n%s", metrics)
	}
	// The other three go on.
	if a, err := submit(ctx, tn.urls[1], bs[3].tx); err != nil || a.Status != http.StatusOK {
		tn.fatalf("ballot 3 to node 1: %+v %v", a, err)
	}
	tn.agree([]int{0, 1, 2}, se.id, snap.Height+2, time.Minute)

	// --exit-on-halt: node 3 exits with code 4.
	select {
	case <-tn.nodes[3].done:
	case <-time.After(time.Minute):
		tn.fatalf("the halted node did not exit")
	}
	var exit *exec.ExitError
	if err := tn.nodes[3].err; !errors.As(err, &exit) || exit.ExitCode() != 4 {
		tn.fatalf("the halted node exited with %v, want code 4", err)
	}

	// Node 0 cut off from its peers.
	tn.nodes[1].stop()
	tn.nodes[2].stop()
	r = tn.waitReadyz(0, 30*time.Second, "node 0 to halt with no peers", func(r readyz) bool { return r.Halted != "" })
	if r.Status != http.StatusServiceUnavailable || r.Halted != string(chain.HaltNoPeers) {
		tn.fatalf("node 0's /readyz: %+v", r)
	}
	tn.nodes[1] = startNodeProc(t, "node1", home(1), flags...)
	tn.waitReadyz(0, time.Minute, "node 0 ready with a peer back", func(r readyz) bool { return r.Ready && r.Status == http.StatusOK })
	if !tn.nodes[0].running() {
		tn.fatalf("node 0 exited")
	}
}
