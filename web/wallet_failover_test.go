package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/wallet"
)

// walletToReview creates a wallet on the page of url with a key alice,
// whom a puts on the roll of its election and opens it; then fills a
// ballot and goes to its review, ready to cast. It returns alice's key.
func walletToReview(t *testing.T, ctx context.Context, a *walletNode, url, pass string) string {
	t.Helper()
	walletCreate(t, ctx, url, pass)
	alice := walletNewKey(t, ctx, "alice")
	a.enrolAndOpen(t, alice)
	run(t, ctx, chromedp.Click("#refresh-elections", chromedp.ByQuery))
	waitJS(t, ctx, electionsListed, 20*time.Second)
	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 20*time.Second)
	run(t, ctx, chromedp.Click("#c0-o1", chromedp.ByQuery), chromedp.Click("#c1-o2", chromedp.ByQuery),
		chromedp.Click("#ballot-form button[type=submit]", chromedp.ByQuery))
	shown(t, ctx, "s-review", 20*time.Second)
	return alice
}

// TestWalletSendsToTheNextNode: the node whose page the voter uses dies
// between the ballot's review and its casting. The wallet had kept the
// signed ballot before sending it; it sends the same bytes to the next
// node its page names (after checking that node's genesis is this chain's),
// which commits it; the receipt is checked in the browser and names that
// node, and the cast status says the ballot went through it. The dead node
// is the page's HTTP front closed (what a killed node looks like to a
// browser: the connection is refused); the second node is another front of
// the same real node, on another origin.
func TestWalletSendsToTheNextNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	second := "http://" + l.Addr().String()
	a := startWalletNodeWith(t, walletTemplate, testChainID, Config{PeerNodes: []string{second}})
	var mu sync.Mutex
	var posts []string
	b := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			posts = append(posts, r.URL.String()+" from "+r.Header.Get("Origin"))
			mu.Unlock()
		}
		a.tn.server.Load().ServeHTTP(w, r)
	})}}
	b.Start()
	t.Cleanup(b.Close)
	axe := axeSource(t)
	ctx := newBrowser(t, 360, 740)

	alice := walletToReview(t, ctx, a, a.url, "a passphrase for a dying node")

	a.srv.CloseClientConnections()
	a.srv.Listener.Close() // the page's node is gone
	run(t, ctx, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, ctx, "s-cast", 90*time.Second)
	castDone(t, ctx)
	status := textOf(t, ctx, "#cast-status")
	if cls := textOfClass(t, ctx, "#cast-status"); !strings.Contains(cls, "ok") || !strings.Contains(status, "went through polling node "+second+", as the node you chose failed: it did not answer") {
		t.Fatalf("the cast status (%s): %s", cls, status)
	}
	var file struct {
		Node    string          `json:"node"`
		Receipt json.RawMessage `json:"receipt"`
		Ballot  string          `json:"ballot"`
	}
	if err := json.Unmarshal(download(t, ctx, "#receipt-download"), &file); err != nil || file.Node != second || len(file.Receipt) < 10 || file.Ballot != "" {
		t.Errorf("the receipt file: node %q, receipt %d bytes, ballot %q (%v)", file.Node, len(file.Receipt), file.Ballot, err)
	}
	key, err := wallet.ParseVoterPublicKey(alice)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(second, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Voter(t.Context(), a.e.ID, key)
	if err != nil || !st.Voted {
		t.Fatalf("the chain's voter status of alice: %+v, %v", st, err)
	}
	mu.Lock()
	if len(posts) != 1 || !strings.Contains(posts[0], "from "+a.url) {
		t.Errorf("the second node's submissions: %q", posts)
	}
	mu.Unlock()
	checkAxe(t, ctx, axe)
	screenshot(t, ctx, "wallet-next-node.png")
}
