package web

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
)

// TestDashboardAcrossValidatorChange: the authority adds a validator to
// the one of a real node (of power 1 against its 10: the node alone keeps
// more than 2/3 and goes on signing), so that from two blocks on the
// headers name a set the genesis does not. Then an election runs to its
// result. The election's page verifies it from block 1 in the browser,
// following the set through the change: a verifier that held to the
// genesis set would refuse the first header after it.
func TestDashboardAcrossValidatorChange(t *testing.T) {
	tn := startTestNode(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tn.server.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	added, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := election.NewValidatorUpdateTx(tn.chainID, added.Public(), 1, tn.authority)
	if err != nil {
		t.Fatal(err)
	}
	com, err := c.Commit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, harness.NewAPI(c), harness.Spec{Template: dashboardTemplate, Reference: "valset", Voters: 2, Authority: tn.authority})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, _, err := e.Cast(ctx, i, [][]uint64{{1, 0}, {1, 0, 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Validators) != 2 || st.Height < com.Height+election.ValidatorDelay {
		t.Fatalf("the node's status: %d validators at height %d (the change in block %d)", len(st.Validators), st.Height, com.Height)
	}
	b := newBrowser(t, 375, 812)
	if err := chromedp.Run(b, chromedp.Navigate(srv.URL+"/elections/"+e.ID.String())); err != nil {
		t.Fatal(err)
	}
	v := waitVerified(t, b, st.Height, 2, 90*time.Second)
	t.Logf("the page across the change of block %d: %s", com.Height, v.Text)
	checkNoCSPViolation(t, b)
}
