//go:build js && wasm

// Command verifier is the browser's verifier: package observer's Follower
// behind a thin syscall/js bridge. A Web Worker (web/static/verifier-worker.js)
// loads it and calls, on the global object evoteVerifier:
//
//	start(electionID)  forget everything; verify the election with that id
//	message(text)      one text message of the feed (observer.FeedMessage)
//	flush()            verify whatever is queued now
//
// Each returns the status as JSON text (status below). Nothing here
// verifies anything itself: the rules are observer's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// status is what the page is told after each call.
type status struct {
	// OK is false once verification failed: Failure names the item.
	OK      bool   `json:"ok"`
	Started bool   `json:"started"` // the hello came
	ChainID string `json:"chain_id,omitempty"`
	// Genesis is the chain's genesis fingerprint
	// (observer.RecordHead.GenesisFingerprint), what the page asks people
	// to compare with the network's; Pinned says that it was checked
	// against the one in the page's address.
	Genesis string   `json:"genesis,omitempty"`
	Pinned  bool     `json:"pinned,omitempty"`
	Follow  *follow  `json:"follow,omitempty"`
	Failure *failure `json:"failure,omitempty"`
}

// follow is the Follower's status in the page's terms (the page's JSON is
// kept apart from observer's types).
type follow struct {
	Height  int64  `json:"height"`  // verified up to this block
	Ballots int64  `json:"ballots"` // counted ballots, revotes included
	Voters  int64  `json:"voters"`  // voters with a counted ballot
	Phase   string `json:"phase"`   // the election's phase after Height
	State   string `json:"state"`   // the state commitment after Height, hex
	// Result is the result the verifier derived from the decryption shares
	// it checked: totals per contest, per option.
	Result *observer.RecordResult `json:"result,omitempty"`
}

type failure struct {
	Item  string `json:"item"`           // e.g. "block 12 tx 3 (ballot of …)"
	Code  string `json:"code,omitempty"` // observer's VerifyCode
	Error string `json:"error"`
}

type bridge struct {
	want    election.ID
	pin     string // the genesis fingerprint the page was opened for, if any
	genesis string
	f       *observer.Follower
	head    []byte // the first hello's head, as JSON
	chainID string
	failed  *failure
}

func (b *bridge) status() string {
	st := status{OK: b.failed == nil, Started: b.f != nil, ChainID: b.chainID, Failure: b.failed,
		Genesis: b.genesis, Pinned: b.pin != "" && b.genesis == b.pin}
	if b.f != nil {
		fs := b.f.Status()
		st.Follow = &follow{Height: int64(fs.Height), Ballots: int64(fs.Ballots), Voters: int64(fs.Voters),
			Phase: fs.Phase, State: fs.State}
		if fs.Height == fs.Replayed {
			st.Follow.Result = fs.Result // only once its state is proven
		}
	}
	out, _ := json.Marshal(st)
	return string(out)
}

func (b *bridge) fail(item string, err error) {
	f := &failure{Item: item, Error: err.Error()}
	var ve *observer.VerifyError
	if errors.As(err, &ve) {
		f.Item, f.Code, f.Error = ve.Item, string(ve.Code), ve.Err.Error()
	}
	b.failed = f
}

func (b *bridge) start(id, pin string) {
	*b = bridge{pin: strings.ToLower(pin)}
	want, err := election.ParseID(id)
	if err != nil {
		b.fail("election id", err)
		return
	}
	b.want = want
}

func (b *bridge) message(text string) {
	if b.failed != nil {
		return
	}
	var m observer.FeedMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		b.fail("feed message", err)
		return
	}
	ctx := context.Background()
	switch m.Type {
	case observer.FeedHello:
		head, _ := json.Marshal(m.Head)
		switch {
		case b.f != nil && !bytes.Equal(head, b.head):
			// A reconnection resumes the same election; anything else is a lie.
			b.fail("feed hello", errors.New("the record head changed on reconnection"))
		case b.f != nil:
		case m.Format != observer.FeedFormat:
			b.fail("feed hello", fmt.Errorf("format %q, want %q", m.Format, observer.FeedFormat))
		case m.Head == nil:
			b.fail("feed hello", errors.New("no record head"))
		case m.Head.Election != b.want:
			b.fail("feed hello", fmt.Errorf("the feed is of election %v, not %v", m.Head.Election, b.want))
		default:
			fp, err := m.Head.GenesisFingerprint()
			if err != nil {
				b.fail("genesis", err)
				return
			}
			if b.pin != "" && fp != b.pin {
				b.fail("genesis", fmt.Errorf("the node's chain has genesis fingerprint %s, the page was opened for %s", fp, b.pin))
				return
			}
			f, err := observer.NewFollower(m.Head, observer.VerifyOptions{})
			if err != nil {
				b.fail("record head", err)
				return
			}
			b.f, b.head, b.chainID, b.genesis = f, head, m.Head.ChainID, fp
		}
	case observer.FeedBlock:
		switch {
		case b.f == nil:
			b.fail("feed", errors.New("a block before the hello"))
		case m.Block == nil:
			b.fail("feed", errors.New("a block message with no block"))
		default:
			if err := b.f.Add(ctx, m.Block); err != nil {
				b.fail(fmt.Sprintf("block %d", m.Block.Height), err)
			}
		}
	default:
		// Later versions may add messages; they carry nothing to verify.
	}
}

func (b *bridge) flush() {
	if b.failed == nil && b.f != nil {
		if err := b.f.Flush(context.Background()); err != nil {
			b.fail("flush", err)
		}
	}
}

func main() {
	b := &bridge{failed: &failure{Item: "start", Error: "start was not called"}}
	arg := func(args []js.Value) string {
		if len(args) == 0 || args[0].Type() != js.TypeString {
			return ""
		}
		return args[0].String()
	}
	js.Global().Set("evoteVerifier", js.ValueOf(map[string]any{
		"start": js.FuncOf(func(_ js.Value, args []js.Value) any {
			pin := ""
			if len(args) > 1 && args[1].Type() == js.TypeString {
				pin = args[1].String()
			}
			b.start(arg(args), pin)
			return b.status()
		}),
		"message": js.FuncOf(func(_ js.Value, args []js.Value) any {
			b.message(arg(args))
			return b.status()
		}),
		"flush": js.FuncOf(func(_ js.Value, args []js.Value) any {
			b.flush()
			return b.status()
		}),
	}))
	select {}
}
