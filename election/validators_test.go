package election_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/evote/evote/election"
)

func vset(powers ...uint64) []election.Validator {
	var out []election.Validator
	for i, p := range powers {
		out = append(out, election.Validator{Key: actorKey(string(rune('a' + i))).Public(), Power: p})
	}
	return out
}

// TestApplyValidatorUpdate checks every rule of ApplyValidatorUpdate, each
// refusal with its sentinel.
func TestApplyValidatorUpdate(t *testing.T) {
	four := vset(10, 10, 10, 10)
	newKey := actorKey("new").Public()
	for _, c := range []struct {
		name  string
		set   []election.Validator
		u     election.Validator
		ok    bool
		total uint64
		n     int
	}{
		{"retire one of four", four, election.Validator{Key: four[3].Key}, true, 30, 3},
		{"add a fifth of equal power", four, election.Validator{Key: newKey, Power: 10}, true, 50, 5},
		{"re-weight one by a little", four, election.Validator{Key: four[0].Key, Power: 14}, true, 44, 4},
		{"power above the maximum", four, election.Validator{Key: newKey, Power: election.MaxValidatorPower + 1}, false, 0, 0},
		{"retire a key that is not a validator", four, election.Validator{Key: newKey}, false, 0, 0},
		{"change nothing", four, election.Validator{Key: four[1].Key, Power: 10}, false, 0, 0},
		{"retire the last validator", vset(10), election.Validator{Key: vset(10)[0].Key}, false, 0, 0},
		{"add a third of the power", four, election.Validator{Key: newKey, Power: 20}, false, 0, 0},
		{"double one validator's power", four, election.Validator{Key: four[2].Key, Power: 30}, false, 0, 0},
		{"add an equal second validator", vset(10), election.Validator{Key: newKey, Power: 10}, false, 0, 0},
		{"add a small second validator", vset(10), election.Validator{Key: newKey, Power: 4}, true, 14, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := append([]election.Validator(nil), c.set...)
			got, err := election.ApplyValidatorUpdate(c.set, c.u)
			if !c.ok {
				if !errors.Is(err, election.ErrValidatorUpdate) {
					t.Fatalf("got %v, %v; want ErrValidatorUpdate", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var total uint64
			for i, v := range got {
				total += v.Power
				if i > 0 && bytes.Compare(got[i-1].Key[:], v.Key[:]) >= 0 {
					t.Errorf("not in ascending order of key at %d", i)
				}
			}
			if total != c.total || len(got) != c.n {
				t.Errorf("%d validators of total power %d, want %d of %d", len(got), total, c.n, c.total)
			}
			for i := range before {
				if before[i] != c.set[i] {
					t.Fatal("the input set changed")
				}
			}
		})
	}
}

// FuzzApplyValidatorUpdate: decoding a validator-update body and applying
// it to a set never panics; a body that decodes re-encodes to the same
// bytes, and an accepted change keeps every rule (a set, in ascending
// order of key, whose unchanged validators hold more than 2/3).
func FuzzApplyValidatorUpdate(f *testing.F) {
	for _, p := range []uint64{0, 1, 10, 14, 21, election.MaxValidatorPower + 1} {
		k := actorKey("a").Public()
		f.Add(binary.BigEndian.AppendUint64(k[:], p), uint8(4))
		k = actorKey("new").Public()
		f.Add(binary.BigEndian.AppendUint64(k[:], p), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, n uint8) {
		b, err := election.DecodeBody(election.KindValidatorUpdate, body)
		if err != nil {
			return
		}
		u := b.(*election.ValidatorUpdateBody)
		enc, _ := u.MarshalBinary()
		if !bytes.Equal(enc, body) {
			t.Fatalf("re-encodes to %x", enc)
		}
		powers := make([]uint64, n%8)
		for i := range powers {
			powers[i] = 10
		}
		set := vset(powers...)
		got, err := election.ApplyValidatorUpdate(set, election.Validator{Key: u.Validator, Power: u.Power})
		if err != nil {
			if !errors.Is(err, election.ErrValidatorUpdate) {
				t.Fatalf("error %v does not wrap ErrValidatorUpdate", err)
			}
			return
		}
		var unchanged, total uint64
		for i, v := range got {
			total += v.Power
			if v.Key != u.Validator {
				unchanged += v.Power
			}
			if v.Power == 0 || i > 0 && bytes.Compare(got[i-1].Key[:], v.Key[:]) >= 0 {
				t.Fatalf("bad set %v", got)
			}
		}
		if len(got) == 0 || 3*unchanged <= 2*total {
			t.Fatalf("accepted %v: unchanged %d of %d", got, unchanged, total)
		}
	})
}
