package cmtlite

import (
	"errors"
	"strings"
	"testing"
)

// A header and a commit as CometBFT writes them (block 2 of
// ../testdata/small-record.json).
const (
	testHeader = `{"version":{"block":"11"},"chain_id":"evote-synthetic","height":"2","time":"2026-01-01T00:00:02Z","last_block_id":{"hash":"C40D818FCCCE55684A3FE326E8959358D14685FA038D2711C13EDA7522C81916","parts":{"total":1,"hash":"7A4BE12774435A66ECE6765B4D4577ACD3E64F6F3E51DF66DC668D659302B24B"}},"last_commit_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","data_hash":"37C073B1A1CB40D51251B9507E7217FDC68A012D3022D8EB59F6ECEF9BAE45B4","validators_hash":"804474C782D5342E47739482B6A929AE2D725679F626BF7AF5E996B64678321C","next_validators_hash":"804474C782D5342E47739482B6A929AE2D725679F626BF7AF5E996B64678321C","consensus_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","app_hash":"4FF46696349547564B575376F758E39299CEF35BB7E725BA5B91E108E7A68F6A","last_results_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","evidence_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","proposer_address":"44F3767640164E8300B59916B498FB1F09328244"}`
	testCommit = `{"height":"2","round":0,"block_id":{"hash":"2E4C204FC979ACEB8F9359A0054093728D3FEF25E50253C9CCE99247F14EA40D","parts":{"total":1,"hash":"535E644C93AA36560ED045D240EB41E5234BB24F5FF52D463A83CED8A3634D88"}},"signatures":[{"block_id_flag":2,"validator_address":"44F3767640164E8300B59916B498FB1F09328244","timestamp":"2026-01-01T00:00:02.5Z","signature":"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="}]}`
)

// edit is a change to a valid encoding and the error it must cause.
type edit struct {
	name     string
	old, new string
	want     error
}

// TestStrictHeader: ParseHeader refuses a header in any other form than
// CometBFT's, or failing its ValidateBasic.
func TestStrictHeader(t *testing.T) {
	if _, err := ParseHeader([]byte(testHeader)); err != nil {
		t.Fatal(err)
	}
	sameHeader(t, []byte(testHeader))
	checkEdits(t, testHeader, func(b []byte) error { _, err := ParseHeader(b); return err },
		func(b []byte) error { _, err := cmtHeader(b); return err }, []edit{
			{"unknown field", `"height":"2",`, `"height":"2","round":0,`, ErrMalformed},
			{"field twice", `"height":"2",`, `"height":"2","height":"2",`, ErrMalformed},
			{"field missing", `"evidence_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",`, ``, ErrMalformed},
			{"field name case", `"height"`, `"Height"`, ErrMalformed},
			{"nested unknown field", `"parts":{"total":1,`, `"parts":{"total":1,"x":"",`, ErrMalformed},
			{"version unknown field", `{"block":"11"}`, `{"block":"11","x":"1"}`, ErrMalformed},
			{"lower-case hex", `"data_hash":"37C073B1A1CB40D51251B9507E7217FDC68A012D3022D8EB59F6ECEF9BAE45B4"`, `"data_hash":"37c073b1a1cb40d51251b9507e7217fdc68a012d3022d8eb59f6ecef9bae45b4"`, ErrMalformed},
			{"odd hex", `"app_hash":"4FF4`, `"app_hash":"4FF`, ErrMalformed},
			{"hex as null", `"last_commit_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"`, `"last_commit_hash":null`, ErrMalformed},
			{"height as number", `"height":"2"`, `"height":2`, ErrMalformed},
			{"height with leading zero", `"height":"2"`, `"height":"02"`, ErrMalformed},
			{"height with plus", `"height":"2"`, `"height":"+2"`, ErrMalformed},
			{"height too big", `"height":"2"`, `"height":"9223372036854775808"`, ErrMalformed},
			{"total as string", `"total":1`, `"total":"1"`, ErrMalformed},
			{"total negative", `"total":1`, `"total":-1`, ErrMalformed},
			{"total as float", `"total":1`, `"total":1.0`, ErrMalformed},
			{"time with offset", `"2026-01-01T00:00:02Z"`, `"2026-01-01T00:00:02+00:00"`, ErrMalformed},
			{"time with trailing zeros", `"2026-01-01T00:00:02Z"`, `"2026-01-01T00:00:02.500Z"`, ErrMalformed},
			{"time not RFC 3339", `"2026-01-01T00:00:02Z"`, `"2026-01-01 00:00:02Z"`, ErrMalformed},
			{"chain id as number", `"evote-synthetic"`, `7`, ErrMalformed},
			{"data after the object", `"proposer_address":"44F3767640164E8300B59916B498FB1F09328244"}`, `"proposer_address":"44F3767640164E8300B59916B498FB1F09328244"}{}`, ErrMalformed},
			{"not an object", testHeader, `[]`, ErrMalformed},
			{"null", testHeader, `null`, ErrMalformed},
			{"truncated", `"44F3767640164E8300B59916B498FB1F09328244"}`, `"44F3767640164E8300B59916B498FB1F09328244"`, ErrMalformed},
			{"block protocol", `{"block":"11"}`, `{"block":"10"}`, ErrInvalid},
			{"no block protocol", `{"block":"11"}`, `{}`, ErrInvalid},
			{"height zero", `"height":"2"`, `"height":"0"`, ErrInvalid},
			{"height negative", `"height":"2"`, `"height":"-2"`, ErrInvalid},
			{"chain id too long", `"evote-synthetic"`, `"` + strings.Repeat("x", MaxChainIDLen+1) + `"`, ErrInvalid},
			{"short hash", `"data_hash":"37C0`, `"data_hash":"`, ErrInvalid},
			{"short last block hash", `"last_block_id":{"hash":"C40D`, `"last_block_id":{"hash":"`, ErrInvalid},
			{"short part set hash", `"hash":"7A4B`, `"hash":"`, ErrInvalid},
			{"short proposer", `"proposer_address":"44F3`, `"proposer_address":"`, ErrInvalid},
			{"no proposer", `"44F3767640164E8300B59916B498FB1F09328244"`, `""`, ErrInvalid},
		})
	// The app hash may be of any length, other hashes may be empty.
	for _, e := range [][2]string{
		{`"app_hash":"4FF4`, `"app_hash":"`},
		{`"app_hash":"4FF46696349547564B575376F758E39299CEF35BB7E725BA5B91E108E7A68F6A"`, `"app_hash":""`},
		{`"data_hash":"37C073B1A1CB40D51251B9507E7217FDC68A012D3022D8EB59F6ECEF9BAE45B4"`, `"data_hash":""`},
		{`{"block":"11"}`, `{"block":"11","app":"1"}`},
		{`"2026-01-01T00:00:02Z"`, `"2026-01-01T00:00:02.000000001Z"`},
	} {
		sameHeader(t, []byte(strings.Replace(testHeader, e[0], e[1], 1)))
	}
}

// TestStrictCommit: ParseCommit refuses a commit in any other form than
// CometBFT's, or failing its ValidateBasic.
func TestStrictCommit(t *testing.T) {
	sameCommit(t, []byte(testCommit), "evote-synthetic")
	const absent = `{"block_id_flag":1,"validator_address":"","timestamp":"0001-01-01T00:00:00Z","signature":null}`
	sig := `{"block_id_flag":2,"validator_address":"44F3767640164E8300B59916B498FB1F09328244","timestamp":"2026-01-01T00:00:02.5Z","signature":"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="}`
	sameCommit(t, []byte(strings.Replace(testCommit, sig, sig+","+absent, 1)), "evote-synthetic")
	checkEdits(t, testCommit, func(b []byte) error { _, err := ParseCommit(b); return err },
		func(b []byte) error { _, err := cmtCommit(b); return err }, []edit{
			{"unknown field", `"round":0,`, `"round":0,"x":0,`, ErrMalformed},
			{"signature unknown field", `"block_id_flag":2,`, `"block_id_flag":2,"x":2,`, ErrMalformed},
			{"signature field missing", `"block_id_flag":2,`, ``, ErrMalformed},
			{"round as string", `"round":0`, `"round":"0"`, ErrMalformed},
			{"round too big", `"round":0`, `"round":2147483648`, ErrMalformed},
			{"flag as string", `"block_id_flag":2`, `"block_id_flag":"2"`, ErrMalformed},
			{"flag too big", `"block_id_flag":2`, `"block_id_flag":258`, ErrMalformed},
			{"signature as hex", `"signature":"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="`, `"signature":"BB93-2D5"`, ErrMalformed},
			{"signature not padded", `AQ=="`, `AQ"`, ErrMalformed},
			{"signature url base64", `"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="`, `"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ-_"`, ErrMalformed},
			{"signatures not a list", `"signatures":[` + sig + `]`, `"signatures":` + sig, ErrMalformed},
			{"height negative", `"height":"2"`, `"height":"-2"`, ErrInvalid},
			{"round negative", `"round":0`, `"round":-1`, ErrInvalid},
			{"unknown flag", `"block_id_flag":2`, `"block_id_flag":4`, ErrInvalid},
			{"flag zero", `"block_id_flag":2`, `"block_id_flag":0`, ErrInvalid},
			{"absent with address", `"block_id_flag":2`, `"block_id_flag":1`, ErrInvalid},
			{"absent with time", sig, `{"block_id_flag":1,"validator_address":"","timestamp":"2026-01-01T00:00:02.5Z","signature":null}`, ErrInvalid},
			{"absent with signature", sig, `{"block_id_flag":1,"validator_address":"","timestamp":"0001-01-01T00:00:00Z","signature":"AA=="}`, ErrInvalid},
			{"no signature", `"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="`, `null`, ErrInvalid},
			{"short address", `"validator_address":"44F3`, `"validator_address":"`, ErrInvalid},
			{"no signatures", `[` + sig + `]`, `[]`, ErrInvalid},
			{"null signatures", `[` + sig + `]`, `null`, ErrInvalid},
			{"for no block", `"block_id":{"hash":"2E4C204FC979ACEB8F9359A0054093728D3FEF25E50253C9CCE99247F14EA40D","parts":{"total":1,"hash":"535E644C93AA36560ED045D240EB41E5234BB24F5FF52D463A83CED8A3634D88"}}`, `"block_id":{"hash":"","parts":{"total":0,"hash":""}}`, ErrInvalid},
			{"short block hash", `"block_id":{"hash":"2E4C`, `"block_id":{"hash":"`, ErrInvalid},
		})
	// A signature of up to MaxSignatureSize bytes is read (and fails to
	// verify later); a commit of height 0 may have no signatures.
	long := `"` + strings.Repeat("AAAA", MaxSignatureSize/3) + `"`
	sameCommit(t, []byte(strings.Replace(testCommit, `"u5Mi1ZiIQQQtnVFmOLQ6v8vsrYNoRkoNghNIrrxlEwz8byL06joJNqwNUt3wMhSuYzlwYuMsNOopJfbLtuvoAQ=="`, long, 1)), "c")
	sameCommit(t, []byte(`{"height":"0","round":0,"block_id":{"hash":"","parts":{"total":0,"hash":""}},"signatures":null}`), "c")
}

// checkEdits checks that parse refuses each edit of valid as it must;
// where it must because of ValidateBasic, CometBFT (cmtParse) must refuse
// it too. (Most malformed ones CometBFT refuses as well, but it reads
// lower-case hex, unknown fields and missing fields.)
func checkEdits(t *testing.T, valid string, parse, cmtParse func([]byte) error, edits []edit) {
	t.Helper()
	for _, e := range edits {
		if !strings.Contains(valid, e.old) {
			t.Fatalf("%s: %q is not in the valid encoding", e.name, e.old)
		}
		data := strings.Replace(valid, e.old, e.new, 1)
		if err := parse([]byte(data)); !errors.Is(err, e.want) {
			t.Errorf("%s: %v, want %v", e.name, err, e.want)
		}
		if e.want == ErrInvalid && cmtParse([]byte(data)) == nil {
			t.Errorf("%s: CometBFT takes it", e.name)
		}
	}
}
