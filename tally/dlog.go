package tally

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/cloudflare/circl/group"
)

// The discrete logarithm of a decrypted total M = m·G, for m in [0, max],
// by baby-step giant-step (Shanks 1971), on public data only and in
// variable time.
//
// Both steps work on edwards25519 points multiplied by the cofactor 8: a
// ristretto255 element has four edwards25519 representatives, which differ
// by 4-torsion, and 8·P is the same point for all four. The table is keyed
// by the affine y coordinate of j·G', G' = 8·G, for j in [0, T]. Since P
// and -P share y, each giant step covers 2T+1 values: step i looks up
// M' - c_i·G' with M' = 8·M and c_i = T + i(2T+1), which is ±j·G' for some
// j ≤ T exactly when m = c_i ± j; the sign of x decides between the two.
// Table keys are the low 64 bits of y, so a match is only a candidate: it
// is accepted after checking m·G' = M' with a full scalar multiplication.
//
// Affine coordinates need an inversion per point; points are produced in
// batches of dlogBatch in extended coordinates and normalised together
// with one inversion (Montgomery's trick), which brings a step to about a
// dozen field multiplications.

const (
	// MaxDlogBound is the largest bound a DlogTable accepts.
	MaxDlogBound = 1 << 48
	// MaxDlogTableSize is the largest number of baby steps a table holds.
	// A table takes 32 to 64 bytes per baby step.
	MaxDlogTableSize = 1 << 22

	dlogBatch = 256
)

// ErrOutOfRange: the discrete logarithm is not in [0, max] (including when
// the element is no small multiple of G at all).
var ErrOutOfRange = errors.New("tally: discrete logarithm out of range")

// DlogTable finds m in [0, Max()] from m·G. Build it once for the largest
// total the election can reach (the weight of the whole roll) and use it
// for every aggregate; it is read-only after construction and safe for
// concurrent use.
type DlogTable struct {
	max   uint64
	size  uint64     // T: baby steps j·G' for j in [0, T]
	slots []dlogSlot // open addressing, linear probing
	mask  uint64
	shift uint
	start edwards25519.Point // -T·G'
	step  nielsPoint         // -(2T+1)·G'
}

// dlogSlot holds a key (the low 64 bits of the affine y of j·G') and
// val = 2j + sign(x) + 1; val 0 marks an empty slot.
type dlogSlot struct {
	key uint64
	val uint32
}

// NewDlogTable builds a table for m in [0, bound] with about √bound baby
// steps, so that a lookup takes at most about √bound/2 giant steps.
func NewDlogTable(bound uint64) (*DlogTable, error) {
	if bound > MaxDlogBound {
		return nil, fmt.Errorf("%w: dlog bound %d exceeds %d", ErrInvalidInput, bound, uint64(MaxDlogBound))
	}
	size := uint64(math.Sqrt(float64(bound)))
	for size*size < bound {
		size++
	}
	return NewDlogTableSize(bound, min(MaxDlogTableSize, max(size, 1)))
}

// NewDlogTableSize builds a table for m in [0, bound] with size baby steps.
// A lookup takes at most bound/(2·size+1)+1 giant steps, each about as costly
// as a baby step: a larger table pays off when it serves many lookups.
func NewDlogTableSize(bound, size uint64) (*DlogTable, error) {
	if bound > MaxDlogBound {
		return nil, fmt.Errorf("%w: dlog bound %d exceeds %d", ErrInvalidInput, bound, uint64(MaxDlogBound))
	}
	if size < 1 || size > MaxDlogTableSize {
		return nil, fmt.Errorf("%w: dlog table size %d not in [1, %d]", ErrInvalidInput, size, MaxDlogTableSize)
	}
	entries := size + 1
	nslots := uint64(1)
	shift := uint(64)
	for nslots < 2*entries {
		nslots <<= 1
		shift--
	}
	t := &DlogTable{
		max:   bound,
		size:  size,
		slots: make([]dlogSlot, nslots),
		mask:  nslots - 1,
		shift: shift,
	}

	var g8 nielsPoint
	g8.fromPoint(mulG8(1))
	cur := extIdentity()
	var s dlogScratch
	for j := uint64(0); j < entries; j += dlogBatch {
		k := int(min(dlogBatch, entries-j))
		s.walk(&cur, &g8, k)
		for b := range k {
			var x field.Element
			x.Multiply(&s.x[b], &s.zInv[b])
			t.insert(yKey(&s.y[b]), uint32(2*(j+uint64(b))+uint64(x.IsNegative())+1))
		}
	}

	t.start.Negate(mulG8(size))
	var step edwards25519.Point
	t.step.fromPoint(step.Negate(mulG8(2*size + 1)))
	return t, nil
}

// Max returns the table's bound: Lookup finds m in [0, Max()].
func (t *DlogTable) Max() uint64 { return t.max }

// Size returns the number of baby steps.
func (t *DlogTable) Size() uint64 { return t.size }

func (t *DlogTable) slot(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> t.shift }

func (t *DlogTable) insert(key uint64, val uint32) {
	i := t.slot(key)
	for t.slots[i].val != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = dlogSlot{key: key, val: val}
}

// Lookup returns m in [0, Max()] such that M = m·G, or an error wrapping
// ErrOutOfRange if there is none. It runs in variable time: M must be
// public (a decrypted total). A lookup that fails costs the most, a full
// scan of max/(2·Size()+1)+1 giant steps.
func (t *DlogTable) Lookup(M group.Element) (uint64, error) {
	if M == nil {
		return 0, fmt.Errorf("%w: no element", ErrInvalidInput)
	}
	target, err := toEdwards(M)
	if err != nil {
		return 0, err
	}
	target.MultByCofactor(target)
	var p edwards25519.Point
	cur := extFromPoint(p.Add(target, &t.start))

	width := 2*t.size + 1
	steps := t.max/width + 1
	s := new(dlogScratch)
	for i := uint64(0); i < steps; i += dlogBatch {
		k := int(min(dlogBatch, steps-i))
		s.walk(&cur, &t.step, k)
		for b := range k {
			key := yKey(&s.y[b])
			for n := t.slot(key); t.slots[n].val != 0; n = (n + 1) & t.mask {
				if t.slots[n].key != key {
					continue
				}
				v := t.slots[n].val - 1
				j := uint64(v >> 1)
				var x field.Element
				x.Multiply(&s.x[b], &s.zInv[b])
				m := t.size + (i+uint64(b))*width
				if x.IsNegative() == int(v&1) {
					m += j
				} else {
					m -= j
				}
				if mulG8(m).Equal(target) != 1 {
					continue // a truncated key that matched by chance
				}
				if m > t.max {
					return 0, fmt.Errorf("%w: %d > %d", ErrOutOfRange, m, t.max)
				}
				return m, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: not in [0, %d]", ErrOutOfRange, t.max)
}

// mulG8 returns v·8·G.
func mulG8(v uint64) *edwards25519.Point {
	p := new(edwards25519.Point).ScalarBaseMult(vtUint64(v))
	return p.MultByCofactor(p)
}

// yKey returns the low 64 bits of the canonical encoding of y.
func yKey(y *field.Element) uint64 { return binary.LittleEndian.Uint64(y.Bytes()[:8]) }

// extPoint is an edwards25519 point in extended coordinates (X:Y:Z:T),
// x = X/Z, y = Y/Z, T = XY/Z.
type extPoint struct{ X, Y, Z, T field.Element }

func extIdentity() extPoint {
	var p extPoint
	p.Y.One()
	p.Z.One()
	return p
}

func extFromPoint(q *edwards25519.Point) extPoint {
	X, Y, Z, T := q.ExtendedCoordinates()
	return extPoint{X: *X, Y: *Y, Z: *Z, T: *T}
}

// nielsPoint is an affine point (x, y) as (y+x, y-x, 2d·x·y), the form
// that makes an addition cost seven multiplications.
type nielsPoint struct{ yPlusX, yMinusX, xy2d field.Element }

func (n *nielsPoint) fromPoint(q *edwards25519.Point) {
	X, Y, Z, _ := q.ExtendedCoordinates()
	var zInv, x, y, d field.Element
	zInv.Invert(Z)
	x.Multiply(X, &zInv)
	y.Multiply(Y, &zInv)
	if _, err := d.SetBytes(ristrettoD[:]); err != nil {
		panic(err)
	}
	n.yPlusX.Add(&y, &x)
	n.yMinusX.Subtract(&y, &x)
	n.xy2d.Multiply(&x, &y)
	n.xy2d.Multiply(&n.xy2d, &d)
	n.xy2d.Add(&n.xy2d, &n.xy2d)
}

// addNiels sets p = p + q (Hisil, Wong, Carter, Dawson 2008, "add-2008-hwcd-3"
// with Z2 = 1, for a = -1).
func (p *extPoint) addNiels(q *nielsPoint) {
	var a, b, c, d, e, f, g, h field.Element
	a.Subtract(&p.Y, &p.X)
	a.Multiply(&a, &q.yMinusX)
	b.Add(&p.Y, &p.X)
	b.Multiply(&b, &q.yPlusX)
	c.Multiply(&p.T, &q.xy2d)
	d.Add(&p.Z, &p.Z)
	e.Subtract(&b, &a)
	f.Subtract(&d, &c)
	g.Add(&d, &c)
	h.Add(&b, &a)
	p.X.Multiply(&e, &f)
	p.Y.Multiply(&g, &h)
	p.T.Multiply(&e, &h)
	p.Z.Multiply(&f, &g)
}

// dlogScratch holds one batch of points.
type dlogScratch struct {
	x, y, z, zInv [dlogBatch]field.Element
}

// walk records the k points cur, cur+q, ..., cur+(k-1)q, leaves cur+k·q in
// cur, and normalises the batch: afterwards y[b] is the affine y of point
// b and zInv[b] the inverse of its Z (so that x = x[b]·zInv[b]).
func (s *dlogScratch) walk(cur *extPoint, q *nielsPoint, k int) {
	for b := range k {
		s.x[b] = cur.X
		s.y[b] = cur.Y
		s.z[b] = cur.Z
		cur.addNiels(q)
	}
	// Montgomery's trick: zInv[b] holds z[0]···z[b] until the backward pass.
	s.zInv[0] = s.z[0]
	for b := 1; b < k; b++ {
		s.zInv[b].Multiply(&s.zInv[b-1], &s.z[b])
	}
	var inv field.Element
	inv.Invert(&s.zInv[k-1]) // Z ≠ 0 for every point in extended coordinates
	for b := k - 1; b > 0; b-- {
		s.zInv[b].Multiply(&inv, &s.zInv[b-1])
		inv.Multiply(&inv, &s.z[b])
	}
	s.zInv[0] = inv
	for b := range k {
		s.y[b].Multiply(&s.y[b], &s.zInv[b])
	}
}
