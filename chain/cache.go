package chain

import (
	"container/list"
	"crypto/sha256"
	"sync"

	"github.com/evote/evote/election"
)

// DefaultCacheSize is the number of Precheck verdicts a node keeps.
const DefaultCacheSize = 100_000

// TxHash is the SHA-256 of a transaction: CometBFT's transaction hash, the
// key of the verdict cache and the tracking code of a receipt.
type TxHash = [sha256.Size]byte

// HashTx returns the hash of tx.
func HashTx(tx []byte) TxHash { return sha256.Sum256(tx) }

// VerdictCache holds Precheck verdicts by transaction hash, at most a fixed
// number, dropping the least recently used. It is safe for concurrent use.
type VerdictCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front: most recently used
	items map[TxHash]*list.Element

	hits, misses uint64 // lookups that found a verdict, and that did not
}

type verdictEntry struct {
	hash TxHash
	res  election.Result
}

// NewVerdictCache returns a cache holding at most size verdicts
// (DefaultCacheSize if size <= 0).
func NewVerdictCache(size int) *VerdictCache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &VerdictCache{max: size, ll: list.New(), items: make(map[TxHash]*list.Element)}
}

// Get returns the verdict for hash, if cached.
func (c *VerdictCache) Get(hash TxHash) (election.Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[hash]
	if !ok {
		c.misses++
		return election.Result{}, false
	}
	c.hits++
	c.ll.MoveToFront(e)
	return e.Value.(*verdictEntry).res, true
}

// Put stores the verdict for hash.
func (c *VerdictCache) Put(hash TxHash, res election.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[hash]; ok {
		e.Value.(*verdictEntry).res = res
		c.ll.MoveToFront(e)
		return
	}
	c.items[hash] = c.ll.PushFront(&verdictEntry{hash: hash, res: res})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*verdictEntry).hash)
	}
}

// Len is the number of cached verdicts.
func (c *VerdictCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// Stats is how many lookups found a cached verdict (hits) and how many did
// not (misses), since the cache was made.
func (c *VerdictCache) Stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}
