package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// The wire types' text forms round-trip, and each refuses what is not its
// form with an error, never a panic.
func TestTextForms(t *testing.T) {
	var h api.TxHash
	for i := range h {
		h[i] = byte(i)
	}
	var back api.TxHash
	if b, _ := h.MarshalText(); back.UnmarshalText(b) != nil || back != h {
		t.Fatalf("tracking code %s does not round-trip", h)
	}
	for _, bad := range []string{"", "00", strings.Repeat("0", 63), strings.Repeat("g", 64), strings.Repeat("0", 66)} {
		if _, err := api.ParseTxHash(bad); err == nil {
			t.Errorf("tracking code %q accepted", bad)
		}
	}

	var hb api.HexBytes
	if hb.UnmarshalText([]byte("00ff")) != nil || len(hb) != 2 || hb[1] != 0xff {
		t.Errorf("hex bytes: %x", hb)
	}
	if hb.UnmarshalText([]byte("0")) == nil {
		t.Error("odd hex accepted")
	}

	// An aggregate may be the identity (no ballot counted yet).
	zero := tally.ZeroCiphertext()
	text, err := api.Aggregate{Ciphertext: zero}.MarshalText()
	if err != nil || string(text) != strings.Repeat("0", 128) {
		t.Fatalf("identity aggregate: %s, %v", text, err)
	}
	var a api.Aggregate
	if err := a.UnmarshalText(text); err != nil || !a.Equal(zero) {
		t.Fatalf("identity aggregate read back: %v", err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("0", 126), strings.Repeat("f", 128)} {
		if err := a.UnmarshalText([]byte(bad)); !errors.Is(err, election.ErrMalformed) {
			t.Errorf("aggregate %q: %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := (api.Aggregate{}).MarshalText(); err == nil {
		t.Error("an empty aggregate written")
	}

	var m api.CanonicalManifest
	for _, bad := range []string{"zz", "00", ""} {
		if err := m.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("manifest %q accepted", bad)
		}
	}
	if _, err := (api.CanonicalManifest{}).MarshalText(); err == nil {
		t.Error("an empty manifest written")
	}
}

// Refusals and failed requests are told apart with errors.Is and
// errors.As, never by their text.
func TestErrors(t *testing.T) {
	refused := fmt.Errorf("ballot: %w", &api.RefusedError{Code: election.CodeNotOnRoll, Message: "not on the roll"})
	if code, ok := api.RefusalCode(refused); !ok || code != election.CodeNotOnRoll || !errors.Is(refused, api.ErrRefused) {
		t.Errorf("a refusal: %v %v", code, ok)
	}
	if _, ok := api.RefusalCode(errors.New("other")); ok {
		t.Error("a plain error read as a refusal")
	}
	notFound := &api.Error{Method: http.MethodGet, Path: "/api/v1/elections/x", Status: http.StatusNotFound}
	if !errors.Is(notFound, api.ErrNotFound) || errors.Is(notFound, api.ErrRefused) || api.Transient(notFound) {
		t.Error("a 404")
	}
	busy := &api.Error{Status: http.StatusServiceUnavailable}
	if errors.Is(busy, api.ErrNotFound) || !api.Transient(busy) {
		t.Error("a 503 is transient")
	}
	var body api.ErrorBody
	if err := json.Unmarshal([]byte(`{"error":"x","code":9,"code_name":"not-on-roll"}`), &body); err != nil || body.Code == nil || *body.Code != 9 {
		t.Errorf("error body: %+v, %v", body, err)
	}
}
