package election

import "testing"

// TestValidLanguage: language tags are a letter, then letters, digits and
// dashes, 2 to 35 characters; the ends of each range are in, what lies
// just outside them is out.
func TestValidLanguage(t *testing.T) {
	for _, l := range []string{"az", "zh-Hant", "en-GB", "tlh", "Zz-zZ09", "x-9", "aA"} {
		if !validLanguage(l) {
			t.Errorf("%q refused", l)
		}
	}
	for _, l := range []string{"a", "1az", "en_US", "e$", "z{", "a`", "A@", "e/", "e:", "-en", "abcdefghijklmnopqrstuvwxyzabcdefghij"} {
		if validLanguage(l) {
			t.Errorf("%q accepted", l)
		}
	}
}
