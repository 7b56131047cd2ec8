package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/evote/evote/api"
	"github.com/evote/evote/cmd/evote/cli"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/localnet"
)

// The command line is tested as a user runs it: the scripts under
// testdata/script run `evote` as a process (this test binary, entered
// through cli.Run as cmd/evote's main does) and check what it prints and
// its exit status. A script that needs a network writes one with `evote
// testnet` on the free ports that Setup puts in $P2P_PORT and $HTTP_PORT
// ($NODE is the API's address), runs `evote node` in the background, and
// waits for it with waitnode.
//
// Besides testscript's own commands, the scripts have:
//
//	exec expect-exit N evote ARGS...   evote must exit with status N
//	waitnode URL                       the node answers with a committed block
//	waitphase URL ELECTION PHASE       the node shows the election in PHASE
//	setenvre NAME REGEXP               NAME = REGEXP's first group in stdout
//	expand IN OUT                      OUT = IN with $VARs replaced
//	replace FILE REGEXP REPLACEMENT    change FILE's first match (tampering)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"evote": func() { os.Exit(runEvote(os.Args[1:])) },
		// expect-exit N evote ARGS...: runs evote and exits 0 if its exit
		// status is N (a script's `! exec` asserts only that it is not 0).
		"expect-exit": func() {
			if len(os.Args) < 3 || os.Args[2] != "evote" {
				fmt.Fprintln(os.Stderr, "usage: expect-exit N evote ARGS...")
				os.Exit(1)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "expect-exit:", err)
				os.Exit(1)
			}
			if code := runEvote(os.Args[3:]); code != want {
				fmt.Fprintf(os.Stderr, "expect-exit: evote exited %d, want %d\n", code, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// runEvote is cmd/evote's main: Ctrl-C (SIGINT) or SIGTERM cancels the
// command's context.
func runEvote(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, args, os.Stdout, os.Stderr)
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			base, err := localnet.FreePortBlock(3)
			if err != nil {
				return err
			}
			// evote testnet: p2p on base, RPC on base+1, HTTP on base+2.
			env.Setenv("P2P_PORT", strconv.Itoa(base))
			env.Setenv("HTTP_PORT", strconv.Itoa(base+2))
			env.Setenv("NODE", fmt.Sprintf("http://127.0.0.1:%d", base+2))
			env.Setenv("DEALS_BY", time.Now().UTC().Add(time.Hour).Format(time.RFC3339))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitnode":  cmdWaitNode,
			"waitphase": cmdWaitPhase,
			"setenvre":  cmdSetenvRE,
			"expand":    cmdExpand,
			"replace":   cmdReplace,
			"flipbyte":  cmdFlipByte,
		},
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// poll calls f every 100 ms until it reports done, for at most 60 s.
func poll(ts *testscript.TestScript, what string, f func() (bool, error)) {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		done, err := f()
		if done {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("%s: gave up after 60 s (last: %v)", what, last)
}

// nodeClient is a client of the node at url whose every answer comes
// within 5 s.
func nodeClient(ts *testscript.TestScript, url string) *api.Client {
	c, err := api.NewClient(url, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	return c
}

// waitnode URL: waits until the node at URL answers /api/v1/status with a
// committed block.
func cmdWaitNode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitnode URL")
	}
	c := nodeClient(ts, args[0])
	poll(ts, "waitnode "+args[0], func() (bool, error) {
		st, err := c.Status(context.Background())
		return err == nil && st.Height > 0, err
	})
}

// waitphase URL ELECTION PHASE: waits until the node at URL shows the
// election in PHASE.
func cmdWaitPhase(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitphase URL ELECTION PHASE")
	}
	c := nodeClient(ts, args[0])
	id, err := election.ParseID(args[1])
	if err != nil {
		ts.Fatalf("waitphase: %v", err)
	}
	var phase string
	poll(ts, "waitphase "+args[2], func() (bool, error) {
		d, err := c.Election(context.Background(), id)
		if err != nil {
			return false, err
		}
		phase = d.Phase.String()
		return phase == args[2], nil
	})
	ts.Logf("election %s is %s", args[1], phase)
}

// setenvre NAME REGEXP: sets NAME to the first group of REGEXP in the last
// command's standard output.
func cmdSetenvRE(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setenvre NAME REGEXP")
	}
	re, err := regexp.Compile(`(?m)` + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("no match for %q in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
	ts.Logf("%s=%s", args[0], m[1])
}

// expand IN OUT: writes IN to OUT with $VAR and ${VAR} replaced by the
// script's environment.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand IN OUT")
	}
	text := os.Expand(ts.ReadFile(args[0]), ts.Getenv)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o600))
}

// replace FILE REGEXP REPLACEMENT: changes the first match of REGEXP in
// FILE (a user editing a file by hand, or an attacker).
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE REGEXP REPLACEMENT")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	text := ts.ReadFile(args[0])
	loc := re.FindStringSubmatchIndex(text)
	if loc == nil {
		ts.Fatalf("no match for %q in %s", args[1], args[0])
	}
	changed := text[:loc[0]] + string(re.ExpandString(nil, args[2], text, loc)) + text[loc[1]:]
	if changed == text {
		ts.Fatalf("replace: %s is unchanged", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(changed), 0o600))
}

// flipbyte FILE OFFSET: changes the byte at OFFSET of a (binary) file,
// flipping its lowest bit.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := []byte(ts.ReadFile(args[0]))
	if off < 0 || off >= len(b) {
		ts.Fatalf("flipbyte: %s has %d bytes, no byte %d", args[0], len(b), off)
	}
	b[off] ^= 1
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o600))
}
