package chain

import (
	"fmt"
	"sync"
	"testing"

	"github.com/evote/evote/election"
)

func TestVerdictCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewVerdictCache(2)
	a, b, d := HashTx([]byte("a")), HashTx([]byte("b")), HashTx([]byte("d"))
	c.Put(a, election.Result{Code: 1})
	c.Put(b, election.Result{Code: 2})
	if r, ok := c.Get(a); !ok || r.Code != 1 { // a is now the most recent
		t.Fatalf("Get(a) = %v, %v", r, ok)
	}
	c.Put(d, election.Result{Code: 3})
	if _, ok := c.Get(b); ok {
		t.Fatal("b should have been evicted")
	}
	if _, ok := c.Get(a); !ok {
		t.Fatal("a was evicted though recently used")
	}
	if c.Len() != 2 {
		t.Fatalf("Len = %d", c.Len())
	}
	c.Put(a, election.Result{Code: 9})
	if r, _ := c.Get(a); r.Code != 9 || c.Len() != 2 {
		t.Fatalf("overwrite: %v, len %d", r, c.Len())
	}
}

func TestVerdictCacheConcurrent(t *testing.T) {
	c := NewVerdictCache(100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h := HashTx(fmt.Appendf(nil, "%d/%d", g, i%150))
				c.Put(h, election.Result{Code: election.Code(i)})
				c.Get(h)
			}
		}()
	}
	wg.Wait()
	if c.Len() != 100 {
		t.Fatalf("Len = %d, want 100", c.Len())
	}
}
