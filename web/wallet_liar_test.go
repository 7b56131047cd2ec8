package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/wallet"
)

// otherReceipt is the receipt of the first transaction of election e's
// record on c: a real receipt, of another transaction than any ballot.
func otherReceipt(t *testing.T, w *walletNode) *api.Receipt {
	t.Helper()
	body, err := w.api.Record(t.Context(), w.e.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	rr := observer.NewRecordReader(body)
	if _, err := rr.ReadHead(); err != nil {
		t.Fatal(err)
	}
	for {
		b, err := rr.NextBlock()
		if err != nil || b == nil {
			t.Fatalf("no transaction in the record: %v", err)
		}
		if len(b.Txs) == 0 {
			continue
		}
		sum := sha256.Sum256(b.Txs[0].Tx)
		code, err := api.ParseTxHash(hex.EncodeToString(sum[:]))
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.api.Receipt(t.Context(), code, 0)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// TestWalletRefusesALyingNode: the node whose page the voter uses answers
// the ballot's submission itself, "committed", with the real receipt of
// another transaction of the chain (it never passes the ballot on). The
// wallet checks the receipt in the browser before it believes it, says
// what is wrong with that node, and sends the same ballot to the next node
// its page names, an honest front of the real node, which commits it: the
// cast status and the receipt file name that node, and the chain counts
// the ballot.
func TestWalletRefusesALyingNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	second := "http://" + l.Addr().String()
	a := startWalletNodeWith(t, walletTemplate, testChainID, Config{PeerNodes: []string{second}})
	honest := &httptest.Server{Listener: l, Config: &http.Server{Handler: a.tn.server.Load()}}
	honest.Start()
	t.Cleanup(honest.Close)

	var mu sync.Mutex
	var lie *api.Receipt
	lies := 0
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		other := lie
		mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/transactions" || other == nil {
			a.tn.server.Load().ServeHTTP(w, r)
			return
		}
		tx, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(tx)
		mu.Lock()
		lies++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"tracking_code": hex.EncodeToString(sum[:]), "code": 0, "code_name": "ok",
			"committed": true, "height": other.Height, "receipt": other})
	}))
	t.Cleanup(liar.Close)
	axe := axeSource(t)
	ctx := newBrowser(t, 360, 740)

	alice := walletToReview(t, ctx, a, liar.URL, "a passphrase for a lying node")
	other := otherReceipt(t, a)
	mu.Lock()
	lie = other
	mu.Unlock()

	// Every text the busy status shows while the ballot is cast.
	eval(t, ctx, `window.busyTexts = [];
		new MutationObserver(() => window.busyTexts.push(document.getElementById('busy-text').textContent))
			.observe(document.getElementById('busy-text'), {childList: true, characterData: true, subtree: true}); true`, nil)
	run(t, ctx, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, ctx, "s-cast", 90*time.Second)
	castDone(t, ctx)
	status := textOf(t, ctx, "#cast-status")
	if cls := textOfClass(t, ctx, "#cast-status"); !strings.Contains(cls, "ok") || !strings.Contains(status, "went through polling node "+second+", as the node you chose failed: its receipt does not check out in this browser") {
		t.Fatalf("the cast status (%s): %s", cls, status)
	}
	var busyTexts []string
	eval(t, ctx, `window.busyTexts`, &busyTexts)
	said := false
	for _, s := range busyTexts {
		said = said || (strings.Contains(s, "Node "+liar.URL+" failed (its receipt does not check out in this browser") && strings.Contains(s, "to node "+second))
	}
	if !said {
		t.Errorf("the wallet did not say that the first node's receipt fails its check: %q", busyTexts)
	}
	var file struct {
		Node    string          `json:"node"`
		Receipt json.RawMessage `json:"receipt"`
	}
	if err := json.Unmarshal(download(t, ctx, "#receipt-download"), &file); err != nil || file.Node != second || bytes.Contains(file.Receipt, []byte(other.TrackingCode.String())) {
		t.Errorf("the receipt file: node %q, receipt %.120s (%v)", file.Node, file.Receipt, err)
	}
	key, err := wallet.ParseVoterPublicKey(alice)
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.api.Voter(t.Context(), a.e.ID, key)
	if err != nil || !st.Voted {
		t.Fatalf("the chain's voter status of alice: %+v, %v", st, err)
	}
	mu.Lock()
	if lies != 1 {
		t.Errorf("the lying node answered %d submissions, want 1", lies)
	}
	mu.Unlock()
	checkAxe(t, ctx, axe)
	screenshot(t, ctx, "wallet-lying-node.png")
}
