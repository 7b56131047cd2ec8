package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// The hub of the live feed (docs/spec/feed.md): one producer per node reads
// each committed block once per filter, encodes its message once, and hands
// the bytes to every live subscriber's bounded queue without ever waiting
// for one. A subscriber whose queue is full is dropped (ErrSlow) and
// resumes on a new connection from the height it got to. The commit itself
// only closes a channel (chain.Node.CommitSignal): consensus never waits for
// the feed.
//
// A subscriber starting below the last height the hub published catches up
// in its own goroutine, reading the block store (through the hub's small
// cache of recent messages), then joins the live subscribers at the exact
// height the hub will publish next: no gap, no duplicate.

var (
	// ErrFull means the hub already serves its maximum of subscribers.
	ErrFull = errors.New("feed: too many clients")
	// ErrSlow means the subscriber fell a whole queue behind the chain and
	// was dropped.
	ErrSlow = errors.New("feed: client too slow")
	// ErrStopped means the hub stopped (the node is stopping).
	ErrStopped = errors.New("feed: stopped")
)

// Defaults of HubConfig.
const (
	DefaultMaxClients = 1000
	DefaultBuffer     = 64
	// cacheSize is how many recent heights the hub keeps encoded per
	// filter, for subscribers resuming just behind the head.
	cacheSize = 64
)

// HubConfig configures a Hub.
type HubConfig struct {
	MaxClients int // subscribers served at once; DefaultMaxClients if <= 0
	Buffer     int // messages queued per subscriber before it is dropped; DefaultBuffer if <= 0
	// OnSlow, if set, is called (under the hub's lock: it must be quick)
	// each time a subscriber is dropped for a full queue.
	OnSlow func()
}

// Filter says what a subscriber receives. With the zero Election (All),
// blocks carry no transactions (their hashes only) and the phases of every
// election; otherwise the election's transactions (only their index and
// kind with Light) and its phases.
type Filter struct {
	Election election.ID
	All      bool
	Light    bool
}

// key is the filter as far as the block message depends on it.
func (f Filter) key() Filter {
	if f.All {
		return Filter{All: true}
	}
	return f
}

// Hub fans committed blocks out to subscribers.
type Hub struct {
	node   *chain.Node
	blocks *Blocks
	cfg    HubConfig

	mu       sync.Mutex
	height   int64 // the last height published (messages of later heights are not out yet)
	started  bool
	clients  int               // open subscribers, live or catching up
	live     map[*Sub]struct{} // subscribers fed by the producer
	filters  map[Filter]int    // open subscribers per filter key
	cache    map[Filter]*[cacheSize]cached
	advanced chan struct{} // closed, and replaced, after each published height
	stop     chan struct{}
	stopped  bool
	done     chan struct{}

	encodings atomic.Int64
}

type cached struct {
	height int64
	msg    *Message
}

// Message is one block message of the feed, shared by every subscriber of
// its filter.
type Message struct {
	Height int64
	JSON   []byte // the message's JSON (docs/spec/feed.md)

	once  sync.Once
	frame any
}

// Frame returns make(m.JSON), computed once for all the subscribers that
// send m: the connection layer's framing of the message (web keeps a
// websocket.PreparedMessage here, so that a block sent to a thousand clients
// is framed once).
func (m *Message) Frame(make func([]byte) any) any {
	m.once.Do(func() { m.frame = make(m.JSON) })
	return m.frame
}

// NewHub returns the hub of node n. It starts reading blocks at its first
// subscriber; Stop ends it.
func NewHub(n *chain.Node, cfg HubConfig) *Hub {
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	return &Hub{node: n, blocks: NewBlocks(n), cfg: cfg, live: map[*Sub]struct{}{}, filters: map[Filter]int{},
		cache: map[Filter]*[cacheSize]cached{}, advanced: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
}

// Config is the hub's configuration, defaults filled in.
func (h *Hub) Config() HubConfig { return h.cfg }

// Clients is the number of open subscribers.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clients
}

// Stop ends the producer; every subscriber's Next returns ErrStopped.
func (h *Hub) Stop() {
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	h.stopped = true
	started := h.started
	close(h.stop)
	h.mu.Unlock()
	if started {
		<-h.done
	}
}

// Subscribe opens a subscriber of f whose first message is block from
// (>= 1). It fails with ErrFull past the maximum of subscribers, and
// ErrStopped after Stop. Close it when done.
func (h *Hub) Subscribe(f Filter, from int64) (*Sub, error) {
	if from < 1 {
		return nil, fmt.Errorf("feed: subscribe from height %d", from)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, ErrStopped
	}
	if h.clients >= h.cfg.MaxClients {
		return nil, fmt.Errorf("%w: at most %d", ErrFull, h.cfg.MaxClients)
	}
	if !h.started {
		meta, err := h.node.App().Store().Meta()
		if err != nil {
			return nil, err
		}
		h.height, h.started = meta.Height, true
		go h.produce()
	}
	h.clients++
	h.filters[f.key()]++
	return &Sub{hub: h, filter: f, next: from, q: make(chan *Message, h.cfg.Buffer), dropped: make(chan struct{})}, nil
}

// produce publishes each height the app commits, in order.
func (h *Hub) produce() {
	defer close(h.done)
	for {
		sig := h.node.CommitSignal()
		meta, err := h.node.App().Store().Meta()
		if err == nil {
			for err == nil && h.published() < meta.Height {
				err = h.publish(h.published() + 1)
			}
		}
		if err != nil {
			// The store failed: subscribers see the hub stop and resume
			// elsewhere or later.
			h.mu.Lock()
			if !h.stopped {
				h.stopped = true
				close(h.stop)
			}
			h.mu.Unlock()
			return
		}
		select {
		case <-sig:
		case <-h.stop:
			return
		}
	}
}

func (h *Hub) published() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.height
}

// publish encodes block height once per filter in use and queues it to
// every live subscriber; a subscriber whose queue is full is dropped.
func (h *Hub) publish(height int64) error {
	h.mu.Lock()
	keys := make([]Filter, 0, len(h.filters))
	for k := range h.filters {
		keys = append(keys, k)
	}
	h.mu.Unlock()
	enc := make(map[Filter]*Message, len(keys))
	if len(keys) > 0 {
		err := h.node.App().Store().View(context.Background(), func(_ chain.Meta, st election.ReadStore) error {
			for _, k := range keys {
				m, err := h.encode(st, k, height)
				if err != nil {
					return err
				}
				enc[k] = m
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.live {
		k := s.filter.key()
		m, ok := enc[k]
		if !ok {
			// A filter that got its first subscriber since the look
			// above: rare; read it now.
			var err error
			if m, err = h.read(k, height); err != nil {
				return err
			}
			enc[k] = m
		}
		select {
		case s.q <- m:
		default:
			delete(h.live, s)
			close(s.dropped)
			if h.cfg.OnSlow != nil {
				h.cfg.OnSlow()
			}
		}
	}
	for k, m := range enc {
		if h.filters[k] > 0 {
			h.remember(k, height, m)
		}
	}
	for k := range h.cache {
		if h.filters[k] == 0 {
			delete(h.cache, k)
		}
	}
	h.height = height
	close(h.advanced)
	h.advanced = make(chan struct{})
	return nil
}

func (h *Hub) remember(k Filter, height int64, m *Message) {
	c := h.cache[k]
	if c == nil {
		c = new([cacheSize]cached)
		h.cache[k] = c
	}
	if c[height%cacheSize].height < height {
		c[height%cacheSize] = cached{height, m}
	}
}

// message returns the encoded block message of height for k: from the
// cache, or read now from the block store and the state.
func (h *Hub) message(k Filter, height int64) (*Message, error) {
	h.mu.Lock()
	if c := h.cache[k]; c != nil && c[height%cacheSize].height == height {
		m := c[height%cacheSize].msg
		h.mu.Unlock()
		return m, nil
	}
	h.mu.Unlock()
	m, err := h.read(k, height)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.filters[k] > 0 {
		h.remember(k, height, m)
	}
	h.mu.Unlock()
	return m, nil
}

func (h *Hub) read(k Filter, height int64) (*Message, error) {
	var m *Message
	err := h.node.App().Store().View(context.Background(), func(_ chain.Meta, st election.ReadStore) error {
		var err error
		m, err = h.encode(st, k, height)
		return err
	})
	return m, err
}

// encode is the block message of height for k; st is committed state at or
// after height.
func (h *Hub) encode(st election.ReadStore, k Filter, height int64) (*Message, error) {
	msg, err := BlockMessage(h.blocks, st, k, height)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	h.encodings.Add(1)
	return &Message{Height: height, JSON: b}, nil
}

// Encodings is how many block messages the hub has encoded so far.
func (h *Hub) Encodings() int64 { return h.encodings.Load() }

// BlockMessage is the feed's block message of height for filter f; st is
// committed state at or after height.
func BlockMessage(b *Blocks, st election.ReadStore, f Filter, height int64) (*observer.FeedMessage, error) {
	var rb *observer.RecordBlock
	var err error
	if f.All {
		rb, err = b.Header(height)
	} else {
		rb, err = b.Block(st, f.Election, height, f.Light, false)
	}
	if err != nil {
		return nil, err
	}
	phases, err := Phases(st, f, height)
	if err != nil {
		return nil, err
	}
	return &observer.FeedMessage{Type: observer.FeedBlock, Block: rb, Phases: phases}, nil
}

// Phases are the phases the elections of f entered at height, read from
// the heights the state stores with each phase (election.QueryElection's
// Phases): in order of election id, then of phase. st is committed state at
// or after height.
func Phases(st election.ReadStore, f Filter, height int64) ([]observer.FeedPhase, error) {
	ids := []election.ID{f.Election}
	if f.All {
		list, err := election.QueryElections(st)
		if err != nil {
			return nil, err
		}
		ids = ids[:0]
		for _, e := range list {
			if e.CreatedHeight <= height {
				ids = append(ids, e.ID)
			}
		}
	}
	var out []observer.FeedPhase
	for _, id := range ids {
		d, err := election.QueryElection(st, id)
		if errors.Is(err, election.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, p := range d.Phases {
			if p.Height == height {
				out = append(out, observer.FeedPhase{Election: id, Phase: p.Phase})
			}
		}
	}
	return out, nil
}

// Sub is one subscriber: its messages come from Next, in height order.
type Sub struct {
	hub    *Hub
	filter Filter
	next   int64 // the height of the next message Next returns

	live    bool
	closed  bool
	q       chan *Message
	dropped chan struct{} // closed when the hub drops the subscriber
}

// Filter is the subscriber's filter.
func (s *Sub) Filter() Filter { return s.filter }

// Resume is the height a new subscription must start from to go on where
// this one stops: the height of the next message Next would return.
func (s *Sub) Resume() int64 { return s.next }

// Next returns the next block message (of height Resume() before the
// call): read from the block store while the subscriber
// is behind the hub, then from its queue. It waits for the block to commit.
// Errors: ErrSlow (dropped), ErrStopped, the context's, or a store fault.
func (s *Sub) Next(ctx context.Context) (*Message, error) {
	h := s.hub
	for {
		if s.live {
			select {
			case <-s.dropped:
				return nil, fmt.Errorf("%w: more than %d messages behind", ErrSlow, h.cfg.Buffer)
			default:
			}
			select {
			case m := <-s.q:
				s.next++
				return m, nil
			case <-s.dropped:
				return nil, fmt.Errorf("%w: more than %d messages behind", ErrSlow, h.cfg.Buffer)
			case <-h.stop:
				return nil, ErrStopped
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		h.mu.Lock()
		if h.stopped {
			h.mu.Unlock()
			return nil, ErrStopped
		}
		height, advanced := h.height, h.advanced
		if s.next == height+1 {
			// The hub publishes s.next next: join the live subscribers.
			h.live[s] = struct{}{}
			s.live = true
			h.mu.Unlock()
			continue
		}
		h.mu.Unlock()
		if s.next <= height {
			m, err := h.message(s.filter.key(), s.next)
			if err != nil {
				return nil, err
			}
			s.next++
			return m, nil
		}
		// A height the chain has not reached: wait for it.
		select {
		case <-advanced:
		case <-h.stop:
			return nil, ErrStopped
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the subscription.
func (s *Sub) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(h.live, s)
	h.clients--
	k := s.filter.key()
	if h.filters[k]--; h.filters[k] <= 0 {
		delete(h.filters, k)
	}
}
