package trustee_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

func TestSealOpen(t *testing.T) {
	st, err := trustee.NewState("Alice", stream("alice"))
	if err != nil {
		t.Fatal(err)
	}
	st.Elections[election.ID{1}.String()] = &trustee.ElectionState{Index: 2, Deal: "abcd"}
	sealed, err := trustee.Seal(st, []byte("pw"), testKDF, stream("seal"))
	if err != nil {
		t.Fatal(err)
	}
	back, kdf, err := trustee.Open(sealed, []byte("pw"))
	if err != nil || kdf != testKDF || !sameJSON(back, st) {
		t.Fatalf("opened %+v %+v %v", back, kdf, err)
	}
	if _, _, err := trustee.Open(sealed, []byte("PW")); !errors.Is(err, trustee.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, _, err := trustee.Open(sealed, []byte("pw")); !errors.Is(err, trustee.ErrPassphrase) {
		t.Fatalf("changed byte: %v", err)
	}
	if _, err := trustee.NewState("", stream("x")); err == nil {
		t.Fatal("a trustee without a name")
	}
}

// FuzzDecodeState: no input panics, and a state that decodes has the
// version tag and usable keys.
func FuzzDecodeState(f *testing.F) {
	st, err := trustee.NewState("Alice", stream("alice"))
	if err != nil {
		f.Fatal(err)
	}
	st.Elections[election.ID{7}.String()] = &trustee.ElectionState{Index: 1, Share: "00"}
	good, _ := json.Marshal(st)
	f.Add(good)
	f.Add([]byte(`{"version":"evote/v1/trustee-state"}`))
	f.Add([]byte(`{"version":"evote/v1/trustee-state","elections":{"zz":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := trustee.DecodeState(b)
		if err != nil {
			return
		}
		if st.Version != trustee.StateTag || st.Elections == nil {
			t.Fatalf("%q decoded to %+v", b, st)
		}
		if _, err := st.Keys(); err != nil {
			t.Fatal(err)
		}
	})
}
