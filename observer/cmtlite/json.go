package cmtlite

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The strict reading of CometBFT's JSON encoding (libs/json). Every value
// must be in the form CometBFT writes: objects with exactly the expected
// keys (each once), 64-bit integers as canonical decimal strings, smaller
// integers as canonical JSON numbers, bytes as upper-case hex or standard
// padded base64, times as RFC 3339 in UTC with the fewest fraction digits.

// field reads one member's value.
type field func(raw []byte) error

// object reads a JSON object whose keys are exactly those of fields (each
// once), but for the optional ones, which may be missing.
func object(data []byte, fields map[string]field, optional ...string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not an object")
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		read, ok := fields[key]
		switch {
		case !ok:
			return fmt.Errorf("unknown field %q", key)
		case seen[key]:
			return fmt.Errorf("field %q twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := read(raw); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	for key := range fields {
		if !seen[key] && !isOneOf(key, optional) {
			return fmt.Errorf("field %q missing", key)
		}
	}
	return nil
}

func isOneOf(s string, list []string) bool {
	for _, l := range list {
		if s == l {
			return true
		}
	}
	return false
}

// jsonString reads a JSON string of valid UTF-8.
func jsonString(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' || !utf8.Valid(raw) {
		return "", errors.New("not a string")
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

func stringInto(p *string) field {
	return func(raw []byte) (err error) { *p, err = jsonString(raw); return }
}

// int64Into reads an int64 written as a decimal string ("12").
func int64Into(p *int64) field {
	return func(raw []byte) error {
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != s {
			return fmt.Errorf("not a canonical decimal integer: %q", s)
		}
		*p = v
		return nil
	}
}

// uint64Into reads a uint64 written as a decimal string.
func uint64Into(p *uint64) field {
	return func(raw []byte) error {
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || strconv.FormatUint(v, 10) != s {
			return fmt.Errorf("not a canonical decimal integer: %q", s)
		}
		*p = v
		return nil
	}
}

// number reads a JSON number that is a canonical integer of bits bits.
func number(raw []byte, signed bool, bits int) (int64, error) {
	s := string(raw)
	if signed {
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil || strconv.FormatInt(v, 10) != s {
			return 0, fmt.Errorf("not a canonical %d-bit integer: %s", bits, s)
		}
		return v, nil
	}
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil || strconv.FormatUint(v, 10) != s {
		return 0, fmt.Errorf("not a canonical unsigned %d-bit integer: %s", bits, s)
	}
	return int64(v), nil
}

func int32Into(p *int32) field {
	return func(raw []byte) error {
		v, err := number(raw, true, 32)
		*p = int32(v)
		return err
	}
}

func uint32Into(p *uint32) field {
	return func(raw []byte) error {
		v, err := number(raw, false, 32)
		*p = uint32(v)
		return err
	}
}

// hexInto reads bytes written as upper-case hex ("" for none).
func hexInto(p *[]byte) field {
	return func(raw []byte) error {
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		if s != strings.ToUpper(s) {
			return errors.New("hex not in upper case")
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			b = nil
		}
		*p = b
		return nil
	}
}

// base64Into reads bytes written as standard padded base64 (null or ""
// for none).
func base64Into(p *[]byte) field {
	return func(raw []byte) error {
		if string(raw) == "null" {
			*p = nil
			return nil
		}
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			b = nil
		}
		*p = b
		return nil
	}
}

// timeInto reads a time written as RFC 3339 in UTC ("Z"), its fraction of
// a second without trailing zeros, as CometBFT writes it.
func timeInto(p *time.Time) field {
	return func(raw []byte) error {
		s, err := jsonString(raw)
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(s, "Z") || t.UTC().Format(time.RFC3339Nano) != s {
			return fmt.Errorf("not a canonical UTC time: %q", s)
		}
		*p = t.UTC()
		return nil
	}
}
