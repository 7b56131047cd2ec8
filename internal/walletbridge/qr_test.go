package walletbridge

import (
	"strings"
	"testing"

	"rsc.io/qr"

	"github.com/evote/evote/election"
)

// TestQRRows: a voter key's QR code is the reference encoder's (rsc.io/qr,
// level M), square, with the three finder patterns.
func TestQRRows(t *testing.T) {
	text := election.DeriveKey("qr voter").VoterPublic().String()
	rows, err := qrRows(text)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != ref.Size || (ref.Size-17)%4 != 0 {
		t.Fatalf("%d rows, the reference is %d modules wide", len(rows), ref.Size)
	}
	for y, r := range rows {
		if len(r) != ref.Size {
			t.Fatalf("row %d has %d modules", y, len(r))
		}
		for x := range r {
			if (r[x] == '1') != ref.Black(x, y) {
				t.Fatalf("module (%d, %d) differs from the reference encoder's", x, y)
			}
		}
	}
	finder := []string{"1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"}
	n := len(rows)
	for _, at := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for i, want := range finder {
			if got := rows[at[1]+i][at[0] : at[0]+7]; got != want {
				t.Fatalf("no finder pattern at %v: row %d is %s", at, i, got)
			}
		}
	}
	if _, err := qrRows(strings.Repeat("x", 3000)); err == nil {
		t.Error("a text too long for any QR version is encoded")
	}
}
