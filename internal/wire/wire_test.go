package wire

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

var (
	errMalformed = errors.New("malformed")
	errLimit     = errors.New("limit")
	errTag       = errors.New("wrong tag")
	errTrailing  = errors.New("trailing")
	testErrors   = Errors{Malformed: errMalformed, Limit: errLimit, WrongTag: errTag, Trailing: errTrailing}
)

// message is a sample of every kind of field, decoded by decodeMessage.
type message struct {
	a    uint8
	b    uint16
	c    uint32
	d    uint64
	raw  []byte // 4 bytes
	blob []byte
	name string
	list []uint32
}

func (m *message) encode() []byte {
	var e Encoder
	e.Tag("evote/v1/test")
	e.U8(m.a)
	e.U16(m.b)
	e.U32(m.c)
	e.U64(m.d)
	e.Raw(m.raw)
	e.Bytes(m.blob)
	e.Str(m.name)
	e.U32(uint32(len(m.list)))
	for _, v := range m.list {
		e.U32(v)
	}
	return e.B
}

func decodeMessage(b []byte) (*message, error) {
	d := NewDecoder(b, testErrors)
	d.Tag("evote/v1/test")
	m := &message{a: d.U8("a"), b: d.U16("b"), c: d.U32("c"), d: d.U64("d")}
	m.raw = d.Take(4, "raw")
	m.blob = d.Bytes("blob", 16)
	m.name = d.Str("name", 16)
	n := d.Count("list", 8, 4)
	for i := 0; i < n && d.Err == nil; i++ {
		m.list = append(m.list, d.U32("item"))
	}
	return m, d.Finish()
}

func sample() *message {
	return &message{a: 1, b: 0x0203, c: 0x04050607, d: 0x08090a0b0c0d0e0f, raw: []byte("RAW!"),
		blob: []byte{0, 1, 2}, name: "évote", list: []uint32{7, 8}}
}

func TestRoundTripAndLayout(t *testing.T) {
	b := sample().encode()
	want := []byte{13}
	want = append(want, "evote/v1/test"...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
	want = append(want, "RAW!"...)
	want = append(want, 0, 0, 0, 3, 0, 1, 2)
	want = append(want, 0, 0, 0, 6)
	want = append(want, "évote"...)
	want = append(want, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 8)
	if !bytes.Equal(b, want) {
		t.Fatalf("encoding\n%x\nwant\n%x", b, want)
	}
	m, err := decodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.encode(), b) {
		t.Fatal("decoded message encodes differently")
	}
	// Bytes copies: changing the input leaves the decoded value alone.
	b[len(b)-1-4*2-4-len("évote")-4-1] ^= 0xff
	if m.blob[2] != 2 {
		t.Fatal("Bytes aliases its input")
	}
}

func TestRejections(t *testing.T) {
	good := sample().encode()
	blobAt := 1 + len("evote/v1/test") + 15 + 4
	nameAt := blobAt + 4 + 3
	listAt := nameAt + 4 + len("évote")
	with := func(off int, p ...byte) []byte {
		b := bytes.Clone(good)
		copy(b[off:], p)
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
		at   string // the offset in the message
	}{
		{"empty", nil, errMalformed, "at byte 0"},
		{"truncated", good[:len(good)-1], errMalformed, ""},
		{"trailing byte", append(bytes.Clone(good), 0), errTrailing, ""},
		{"other tag", with(1, 'X'), errTag, "at byte 0"},
		{"tag length", with(0, 12), errTag, "at byte 0"},
		{"blob over its limit", with(blobAt, 0, 0, 0, 17), errLimit, "at byte " + strconv.Itoa(blobAt)},
		{"name not UTF-8", with(nameAt+4, 0xff), errMalformed, "at byte " + strconv.Itoa(nameAt+4)},
		{"count over its limit", with(listAt, 0, 0, 0, 9), errLimit, "at byte " + strconv.Itoa(listAt)},
		{"count past the end", with(listAt, 0, 0, 0, 3), errMalformed, "at byte " + strconv.Itoa(listAt)},
	} {
		_, err := decodeMessage(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if c.at != "" && !strings.Contains(err.Error(), c.at+":") {
			t.Errorf("%s: %q does not say %q", c.name, err, c.at)
		}
	}
}

func TestFirstFailureSticks(t *testing.T) {
	d := NewDecoder([]byte{1, 2}, testErrors)
	if d.U32("x") != 0 || d.Err == nil {
		t.Fatal("read past the end")
	}
	first := d.Err
	if d.U8("y") != 0 || d.Take(1, "z") != nil || d.Bytes("w", 1) != nil || d.Str("v", 1) != "" || d.Count("u", 1, 1) != 0 {
		t.Fatal("a read after a failure returned data")
	}
	d.Fail(errLimit, "later")
	if d.Err != first || d.Finish() != first {
		t.Fatalf("the first failure was replaced: %v", d.Err)
	}
}

func TestBadTagPanics(t *testing.T) {
	for _, tag := range []string{"", strings.Repeat("x", MaxTagLen+1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("tag of %d bytes accepted", len(tag))
				}
			}()
			var e Encoder
			e.Tag(tag)
		}()
	}
}

// FuzzDecode: no input panics, and whatever decodes re-encodes to itself.
func FuzzDecode(f *testing.F) {
	f.Add(sample().encode())
	f.Add([]byte{})
	f.Add((&message{raw: make([]byte, 4)}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.encode(), b) {
			t.Fatalf("%x decodes and encodes to %x", b, m.encode())
		}
	})
}
