package walletbridge

import (
	"errors"
	"strings"

	"rsc.io/qr/coding"
)

// qrRows encodes text as a QR code (ISO/IEC 18004, error correction level
// M, byte mode, the smallest version that holds it, mask 0) and returns
// its modules row by row, '1' for a dark module: what the page draws next
// to a public key for the officials to scan. The quiet zone is the page's.
func qrRows(text string) ([]string, error) {
	enc := coding.String(text)
	v := coding.Version(coding.MinVersion)
	for ; enc.Bits(v) > v.DataBytes(coding.M)*8; v++ {
		if v == coding.MaxVersion {
			return nil, errors.New("walletbridge: text too long for a QR code")
		}
	}
	p, err := coding.NewPlan(v, coding.M, 0)
	if err != nil {
		return nil, err
	}
	c, err := p.Encode(enc)
	if err != nil {
		return nil, err
	}
	rows := make([]string, c.Size)
	for y := range c.Size {
		var b strings.Builder
		for x := range c.Size {
			if c.Bitmap[y*c.Stride+x/8]&(1<<uint(7-x&7)) != 0 {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		rows[y] = b.String()
	}
	return rows, nil
}
