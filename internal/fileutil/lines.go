package fileutil

import (
	"errors"
	"io"
	"strings"
)

// MaxLine bounds a line a LineReader returns.
const MaxLine = 4096

// ErrLineTooLong: a line of over MaxLine bytes.
var ErrLineTooLong = errors.New("input line too long")

// LineReader reads the answers to prompts, line by line.
type LineReader struct {
	r   io.Reader
	buf []byte
}

// NewLineReader reads lines from r.
func NewLineReader(r io.Reader) *LineReader { return &LineReader{r: r} }

// Line returns the next line, trimmed of spaces; io.EOF when the input
// ends with nothing left. It reads one byte at a time and never past the
// end of the line, so that whatever reads the input next finds the rest.
func (l *LineReader) Line() (string, error) {
	var b [1]byte
	for {
		n, err := l.r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				s := strings.TrimSpace(string(l.buf))
				l.buf = l.buf[:0]
				return s, nil
			}
			if len(l.buf) > MaxLine {
				return "", ErrLineTooLong
			}
			l.buf = append(l.buf, b[0])
			continue
		}
		if err != nil {
			if len(l.buf) > 0 {
				s := strings.TrimSpace(string(l.buf))
				l.buf = l.buf[:0]
				return s, nil
			}
			if errors.Is(err, io.EOF) {
				return "", io.EOF
			}
			return "", err
		}
	}
}
