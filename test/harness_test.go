package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The harness runs the real evote binary as separate processes, so that
// tests can kill them with SIGKILL and restart them from their homes.

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// TestMain removes the binary the harness built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

// evoteBinary builds ./cmd/evote once per test run and returns its path. A
// failed build fails the test: it never skips.
func evoteBinary(t *testing.T) string {
	t.Helper()
	root, goBin := moduleRoot(t), goCommand(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evote-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "evote")
		cmd := exec.Command(goBin, "build", "-o", buildPath, "./cmd/evote")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/evote: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// runEvote runs an evote command to completion (at most timeout) and
// returns its standard output; a failure fails the test with all output.
func runEvote(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	out, err := tryEvote(t, timeout, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryEvote runs evote like runEvote and returns its failure as an error.
func tryEvote(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, evoteBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("evote %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// nodeProc is one evote node process, started, killed and restarted from
// its home.
type nodeProc struct {
	t    *testing.T
	name string
	home string // the node home; its node.log holds the consensus log
	args []string
	log  string // the process's stdout and stderr

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how the last run ended, once done is closed
}

// startNodeProc starts `evote node --home home` with its output appended
// to home/process.log. Cleanup kills it.
func startNodeProc(t *testing.T, name, home string, extra ...string) *nodeProc {
	t.Helper()
	p := &nodeProc{t: t, name: name, home: home, args: append([]string{"node", "--home", home}, extra...), log: filepath.Join(home, "process.log")}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *nodeProc) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "--- %s: evote %s\n", time.Now().Format(time.StampMilli), strings.Join(p.args, " "))
	cmd := exec.Command(evoteBinary(p.t), p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(f, "--- %s: exited: %v\n", time.Now().Format(time.StampMilli), err)
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
}

// running reports whether the process is alive.
func (p *nodeProc) running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *nodeProc) kill() { p.signal(syscall.SIGKILL, 0) }

// stop sends SIGTERM, the operator's way to stop a node, and waits for it
// to exit; it fails the test if the node does not exit cleanly in time.
func (p *nodeProc) stop() {
	p.t.Helper()
	// Spare connections would hold the node's HTTP shutdown for its grace
	// (TestNodeStopsWithAnIdleConnection); nothing here needs that wait.
	httpClient.CloseIdleConnections()
	if err := p.signal(syscall.SIGTERM, 30*time.Second); err != nil {
		p.t.Fatalf("%s: stop: %v\n%s", p.name, err, p.logTail())
	}
}

// signal sends sig and waits for the exit (forever if timeout is 0; after
// timeout it kills). It returns how the process ended.
func (p *nodeProc) signal(sig syscall.Signal, timeout time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return errors.New("it had exited already")
	default:
	}
	cmd.Process.Signal(sig)
	if timeout == 0 {
		<-done
	} else {
		select {
		case <-done:
		case <-time.After(timeout):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return fmt.Errorf("no exit %v after %v", sig, timeout)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// restart starts the same command again (after kill or stop).
func (p *nodeProc) restart() {
	p.t.Helper()
	if p.running() {
		p.t.Fatalf("%s: restart while running", p.name)
	}
	p.start()
}

// logTail returns the ends of the process's output and of its node.log
// (the consensus log), for failure messages.
func (p *nodeProc) logTail() string {
	tail := func(path string, n int) string {
		b, err := os.ReadFile(path)
		if err != nil {
			return err.Error()
		}
		if len(b) > n {
			b = b[len(b)-n:]
		}
		return string(b)
	}
	return fmt.Sprintf("=== %s: %s\n%s\n=== %s: node.log\n%s", p.name, p.log, tail(p.log, 3000), p.name, tail(filepath.Join(p.home, "node.log"), 5000))
}

// freePortBlock returns the first of n consecutive ports on 127.0.0.1 that
// are free now: it listens on all of them before letting go. It picks them
// below Linux's ephemeral range (32768 and up), so that no outgoing
// connection takes one before a node listens on it.
func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	for range 200 {
		base := 20000 + rand.IntN(12000-n)
		var ls []net.Listener
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if len(ls) == n {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports on 127.0.0.1", n)
	return 0
}

// httpClient is the tests' client. A request that waits for a commit waits
// at most a minute on the node's side.
var httpClient = &http.Client{Timeout: 90 * time.Second}

// get fetches url and returns the status and the body.
func get(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, body, err
}

// getJSON fetches url and decodes its JSON body into v; any status but 200
// is an error.
func getJSON(ctx context.Context, url string, v any) error {
	status, body, err := get(ctx, url)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: %d: %s", url, status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// eventually retries f every interval until it returns nil, an error
// made by halt, or the timeout passes, and returns the last error.
func eventually(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || errors.As(err, new(haltError)) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// halt wraps an error that no retry can cure (a process exited).
func halt(err error) error { return haltError{err} }

type haltError struct{ error }

func (h haltError) Unwrap() error { return h.error }
