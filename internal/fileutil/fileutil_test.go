package fileutil_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/internal/fileutil"
)

// TestWriteFileAtomic: a failed write leaves the old file as it was and no
// temporary file behind; a good one replaces it with the given mode.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.keystore")
	if err := os.WriteFile(path, []byte("old keystore"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := fileutil.WriteAtomic(path, 0o600, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old keystore" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	if err := fileutil.WriteFileAtomic(path, 0o600, []byte("new keystore")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	info, _ := os.Stat(path)
	if string(b) != "new keystore" || info.Mode().Perm() != 0o600 {
		t.Fatalf("after a write: %q, mode %v", b, info.Mode())
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	// A directory that cannot be made: an error, nothing written.
	if err := fileutil.WriteAtomic(filepath.Join(path, "x"), 0o600, func(io.Writer) error { return nil }); err == nil {
		t.Fatal("writing under a file succeeded")
	}
}

func TestReadFileMax(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("12345"), 0o600)
	if b, err := fileutil.ReadFileMax(path, 5); err != nil || string(b) != "12345" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := fileutil.ReadFileMax(path, 4); err == nil {
		t.Fatal("a file over the bound was read")
	}
	if _, err := fileutil.ReadFileMax(path+"x", 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestLock: a second lock without waiting fails with ErrLocked while the
// first is held, and succeeds once it is let go.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	a, err := fileutil.Lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fileutil.Lock(path, false); !errors.Is(err, fileutil.ErrLocked) {
		t.Fatalf("second lock while held: %v", err)
	}
	a.Close()
	b, err := fileutil.Lock(path, false)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	b.Close()
}

// TestLineReader: lines are trimmed, the last one needs no newline, the
// reader never reads past a line, and an overlong line is refused.
func TestLineReader(t *testing.T) {
	r := strings.NewReader(" a \r\nb\nrest")
	l := fileutil.NewLineReader(r)
	if s, err := l.Line(); err != nil || s != "a" {
		t.Fatalf("%q %v", s, err)
	}
	if s, err := l.Line(); err != nil || s != "b" {
		t.Fatalf("%q %v", s, err)
	}
	if r.Len() != 4 {
		t.Fatalf("read past the line: %d left", r.Len())
	}
	if s, err := l.Line(); err != nil || s != "rest" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := l.Line(); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v", err)
	}
	long := fileutil.NewLineReader(strings.NewReader(strings.Repeat("x", fileutil.MaxLine+2) + "\n"))
	if _, err := long.Line(); !errors.Is(err, fileutil.ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
}
