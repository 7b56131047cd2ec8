package chain

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	cmtcons "github.com/cometbft/cometbft/consensus"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/mattn/go-sqlite3"
)

// HaltCause says, machine-readably, why a node cannot go on.
type HaltCause string

// The causes of a halt (docs/operations.md, "When a node halts").
const (
	// HaltConsensusFailure: CometBFT's consensus stopped on a panic it
	// recovered ("CONSENSUS FAILURE!!!"), for example +2/3 of the
	// validators committed a block whose header names another app hash
	// than this node's store gives. Consensus cannot be restarted in the
	// process: only a restart (after the cause is repaired) recovers.
	HaltConsensusFailure HaltCause = "consensus-failure"
	// HaltStoreError: the app could not execute or commit a block in its
	// SQLite store (a read or write error, a corrupt database).
	HaltStoreError HaltCause = "store-error"
	// HaltDiskFull: as HaltStoreError, the error being a full disk.
	HaltDiskFull HaltCause = "disk-full"
	// HaltBehindPeers: the block store is more than Options.MaxBehind
	// blocks behind the height its peers report, and not block-syncing.
	HaltBehindPeers HaltCause = "behind-peers"
	// HaltNoPeers: a node that needs peers (one of several validators, or
	// a replica) has had none for Options.NoPeersTimeout.
	HaltNoPeers HaltCause = "no-peers"
)

// Recovers says whether the node recovers from the cause by itself when
// the cause goes (its peers come back, it catches up), with no restart.
func (c HaltCause) Recovers() bool { return c == HaltBehindPeers || c == HaltNoPeers }

// Defaults of the halt watchdog.
const (
	DefaultMaxBehind      = 10
	DefaultNoPeersTimeout = 60 * time.Second
	haltWatchInterval     = time.Second
)

// Halt is why a node cannot go on, and since when.
type Halt struct {
	Cause  HaltCause
	Reason string
	Since  time.Time
}

// consensusFailureMsg is the message CometBFT's consensus logs (at error
// level) when its receive routine recovers a panic and stops for good
// (consensus/state.go, receiveRoutine).
const consensusFailureMsg = "CONSENSUS FAILURE!!!"

// halts holds a node's halt: a lasting one (consensus failure, store
// error), set once, the first cause winning; and the watchdog's, which it
// sets and clears on each look.
type halts struct {
	mu      sync.Mutex
	lasting *Halt
	watched *Halt
	logged  map[HaltCause]bool
	log     cmtlog.Logger
}

func (h *halts) current() (Halt, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.lasting != nil:
		return *h.lasting, true
	case h.watched != nil:
		return *h.watched, true
	}
	return Halt{}, false
}

// fail records a lasting halt; the first one stays.
func (h *halts) fail(cause HaltCause, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lasting != nil {
		return
	}
	h.lasting = &Halt{Cause: cause, Reason: reason, Since: time.Now()}
	h.logOnce(*h.lasting)
}

// watch sets (nil: clears) the watchdog's halt, keeping its start while
// the cause stays the same.
func (h *halts) watch(cause HaltCause, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cause == "" {
		if h.watched != nil && h.lasting == nil {
			h.log.Error("evote: the node goes on", "cause", string(h.watched.Cause))
			delete(h.logged, h.watched.Cause)
		}
		h.watched = nil
		return
	}
	if h.watched != nil && h.watched.Cause == cause {
		h.watched.Reason = reason
		return
	}
	h.watched = &Halt{Cause: cause, Reason: reason, Since: time.Now()}
	if h.lasting == nil {
		h.logOnce(*h.watched)
	}
}

func (h *halts) logOnce(x Halt) {
	if h.logged[x.Cause] {
		return
	}
	h.logged[x.Cause] = true
	h.log.Error("evote: NODE HALTED: it answers no writes until the cause is repaired and it restarts or recovers (docs/operations.md)",
		"cause", string(x.Cause), "reason", x.Reason)
}

// appFault records the app's failure to execute or commit a block.
func (h *halts) appFault(height int64, err error) {
	if err == nil || errors.Is(err, ErrAppClosed) {
		return
	}
	cause := HaltStoreError
	if diskFull(err) {
		cause = HaltDiskFull
	}
	h.fail(cause, fmt.Sprintf("block %d: %v", height, err))
}

// diskFull says whether err is a full disk: ENOSPC, or SQLite's
// SQLITE_FULL.
func diskFull(err error) bool {
	var se sqlite3.Error
	return errors.Is(err, syscall.ENOSPC) || (errors.As(err, &se) && se.Code == sqlite3.ErrFull)
}

// haltLogger passes everything to the next logger and records a halt when
// CometBFT's consensus logs its failure. Of the ways to see a consensus
// that stopped with the process up, this one is exact and immediate: the
// receive routine logs this line and nothing else tells (the service still
// reports itself running); the app's own fault (appFault) comes first
// when the app caused it, and the watchdog's height comparison catches a
// stall that logs nothing, but only once peers move on.
type haltLogger struct {
	cmtlog.Logger
	h *halts
}

func (l haltLogger) Error(msg string, kv ...any) {
	if msg == consensusFailureMsg {
		reason, cause := "consensus stopped", HaltConsensusFailure
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "err" {
				reason = fmt.Sprint(kv[i+1])
				// CometBFT panics with a string when its own write (the
				// consensus WAL, its block store) fails: the system's
				// words for ENOSPC are all that say the disk is full.
				if err, ok := kv[i+1].(error); (ok && diskFull(err)) || strings.Contains(reason, syscall.ENOSPC.Error()) {
					cause = HaltDiskFull
				}
			}
		}
		l.h.fail(cause, reason)
	}
	l.Logger.Error(msg, kv...)
}

func (l haltLogger) With(kv ...any) cmtlog.Logger { return haltLogger{l.Logger.With(kv...), l.h} }

// Halted says whether the node has halted, why and since when.
func (n *Node) Halted() (Halt, bool) { return n.halts.current() }

// haltWatch looks, every interval until stop closes, at the block store's
// height against the heights the peers report, and at whether the node
// has peers at all.
func (n *Node) haltWatch(stop <-chan struct{}, maxBehind int64, noPeers time.Duration, needPeers bool) {
	t := time.NewTicker(haltWatchInterval)
	defer t.Stop()
	lastPeer := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		peers := n.cmt.Switch().Peers().List()
		if len(peers) > 0 || !needPeers {
			lastPeer = time.Now()
		}
		var top int64 // the highest block a peer has committed
		for _, p := range peers {
			if ps, ok := p.Get(cmttypes.PeerStateKey).(*cmtcons.PeerState); ok {
				top = max(top, ps.GetHeight()-1) // it works on the next height
			}
		}
		own := n.cmt.BlockStore().Height()
		switch {
		case time.Since(lastPeer) >= noPeers:
			n.halts.watch(HaltNoPeers, fmt.Sprintf("no peer for %s", time.Since(lastPeer).Round(time.Second)))
		case top-own > maxBehind && !n.cmt.ConsensusReactor().WaitSync():
			n.halts.watch(HaltBehindPeers, fmt.Sprintf("at block %d, its peers at %d (more than %d behind)", own, top, maxBehind))
		default:
			n.halts.watch("", "")
		}
	}
}
