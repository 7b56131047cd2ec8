package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/wallet"
)

// recordFixture is a whole election on a real node (an `evote node`
// process): 9 voters, one of whom votes again, closed, decrypted by
// trustees 1 and 3 (trustee 2 stays away), and its record exported by
// `evote export`.
type recordFixture struct {
	url     string
	genesis string
	id      election.ID
	record  string // the exported file
	totals  [][]uint64
}

// choices of voter i: contest 0 (plurality of 2), contest 1 (approval, 1
// to 3 of 5).
func recordChoices(i int) [][]uint64 {
	c0 := []uint64{0, 0}
	c0[i%2] = 1
	c1 := []uint64{0, 0, 0, 0, 0}
	c1[i%5] = 1
	if i%3 == 0 {
		c1[(i+2)%5] = 1
	}
	return [][]uint64{c0, c1}
}

func newRecordFixture(t *testing.T) *recordFixture {
	t.Helper()
	n := newOneNode(t)
	ctx := t.Context()
	c := n.client(t)
	sub := harness.NewAPI(c)
	set, err := harness.Setup(ctx, sub, sampleSpec(t, n.authorityKey(t), "record-test", 9))
	if err != nil {
		t.Fatal(err)
	}
	el, err := set.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The first ballots go in together, so that blocks hold several.
	var codes []api.TxHash
	for i, v := range set.Voters {
		b, err := wallet.BuildBallot(el, v.Key, 1, recordChoices(i), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Submit(ctx, b.Tx, api.SubmitOptions{})
		if err != nil {
			t.Fatalf("ballot %d: %v", i, err)
		}
		codes = append(codes, a.TrackingCode)
	}
	for _, code := range codes {
		rec, err := c.Receipt(ctx, code, 30*time.Second)
		if err != nil || rec.Code.Code() != election.CodeOK {
			t.Fatalf("ballot: %v %+v", err, rec)
		}
	}
	// Voter 0 votes again: choices of voter 1.
	re, err := wallet.BuildBallot(el, set.Voters[0].Key, 2, recordChoices(1), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Submit(ctx, "revote", re.Tx); err != nil {
		t.Fatal(err)
	}
	totals := [][]uint64{{0, 0}, {0, 0, 0, 0, 0}}
	for i := range set.Voters {
		c := recordChoices(i)
		if i == 0 {
			c = recordChoices(1)
		}
		for k := range c {
			for o, x := range c[k] {
				totals[k][o] += x
			}
		}
	}
	if err := set.Authority.Close(ctx, set.ID); err != nil {
		t.Fatal(err)
	}
	set.Trustees[1].Offline = true // trustees 1 and 3 decrypt
	if err := set.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Result(ctx, set.ID); err != nil {
		t.Fatalf("no result: %v", err)
	}
	f := &recordFixture{url: n.url, genesis: n.genesis, id: set.ID, record: filepath.Join(t.TempDir(), "record.json"), totals: totals}
	anyone.must(t, "export", "--node", n.url, "--election", set.ID.String(), "--out", f.record)
	return f
}

// recordLines splits a record as the writer lays it out: the head lines,
// one line per block, and the claims lines.
type recordLines struct {
	head   []string
	blocks []string
	tail   []string
}

func splitRecord(t *testing.T, b []byte) *recordLines {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	r := &recordLines{}
	i := 0
	for ; i < len(lines) && !strings.HasPrefix(lines[i], `"blocks"`); i++ {
		r.head = append(r.head, lines[i])
	}
	r.head = append(r.head, lines[i])
	for i++; i < len(lines) && strings.HasPrefix(lines[i], "{"); i++ {
		r.blocks = append(r.blocks, strings.TrimSuffix(lines[i], ","))
	}
	r.tail = lines[i:]
	if len(r.blocks) == 0 || len(r.tail) != 3 {
		t.Fatalf("unexpected record layout: %d blocks, %d tail lines", len(r.blocks), len(r.tail))
	}
	return r
}

func (r *recordLines) join() []byte {
	var b bytes.Buffer
	for _, l := range r.head {
		b.WriteString(l + "\n")
	}
	for i, l := range r.blocks {
		b.WriteString(l)
		if i < len(r.blocks)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	for _, l := range r.tail {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

func (r *recordLines) block(t *testing.T, i int) *observer.RecordBlock {
	t.Helper()
	var b observer.RecordBlock
	if err := json.Unmarshal([]byte(r.blocks[i]), &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func (r *recordLines) setBlock(t *testing.T, i int, b *observer.RecordBlock) {
	t.Helper()
	enc, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	r.blocks[i] = string(enc)
}

// height is the height of block i of the record.
func (r *recordLines) height(t *testing.T, i int) int64 {
	t.Helper()
	return r.block(t, i).Height
}

// find returns the block and position of the first transaction of kind
// (the n-th, from 0) and the block's height.
func (r *recordLines) find(t *testing.T, kind string, n int) (bi, ti int, height int64) {
	t.Helper()
	for i := range r.blocks {
		b := r.block(t, i)
		for j, tx := range b.Txs {
			if tx.Kind == kind {
				if n == 0 {
					return i, j, b.Height
				}
				n--
			}
		}
	}
	t.Fatalf("no %s transaction %d in the record", kind, n)
	return
}

func TestRecordExportVerifyAndTamper(t *testing.T) {
	t.Parallel()
	f := newRecordFixture(t)
	orig, err := os.ReadFile(f.record)
	if err != nil {
		t.Fatal(err)
	}

	// The record verifies, from the file and streamed from the node.
	r := anyone.run(t, "verify", f.record)
	code, out, errs := r.code, r.out, r.err
	if code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"verified", "10 with valid proofs, 1 replaced by a revote; 9 voters counted",
		fmt.Sprintf("contest 0: %v", f.totals[0]), fmt.Sprintf("contest 1: %v", f.totals[1]),
		"trustees [1 3] combined", "qualified [1 2 3]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	r = anyone.run(t, "verify", "--node", f.url, "--election", f.id.String(), "--json")
	code, out2, errs := r.code, r.out, r.err
	if code != 0 {
		t.Fatalf("verify --node: exit %d: %s", code, errs)
	}
	var sum observer.Summary
	if err := json.Unmarshal([]byte(out2), &sum); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out2)
	}
	if sum.Ballots != 10 || sum.Replaced != 1 || sum.Voters != 9 || sum.Result == nil {
		t.Fatalf("summary %+v", sum)
	}
	// With the network's genesis as the anchor, and with another.
	genesis := f.genesis
	if r := anyone.run(t, "verify", "--genesis", genesis, f.record); r.code != 0 {
		t.Fatalf("verify --genesis: exit %d: %s", r.code, r.err)
	}
	other := filepath.Join(t.TempDir(), "genesis.json")
	g, _ := os.ReadFile(genesis)
	os.WriteFile(other, bytes.Replace(g, []byte(`"power": "10"`), []byte(`"power": "11"`), 1), 0o644)
	if r := anyone.run(t, "verify", "--genesis", other, f.record); r.code != 2 {
		t.Fatalf("verify against another genesis: exit %d: %s", r.code, r.err)
	}
	var opts observer.VerifyOptions
	if err := opts.TrustGenesis(bytes.Replace(g, []byte(`"power": "10"`), []byte(`"power": "11"`), 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := observer.Verify(context.Background(), bytes.NewReader(orig), opts); !errors.Is(err, observer.CodeBadGenesis) {
		t.Fatalf("verify against another genesis: %v", err)
	}

	// The record's structure matches its schema.
	checkRecordSchema(t, orig)

	// What export and verify refuse, and say why.
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--node", f.url, "--election", unknown, "--out", filepath.Join(t.TempDir(), "x.json")}, 1, "404 Not Found: not found"},
		{[]string{"export", "--node", f.url, "--election", "nope", "--out", "x.json"}, 1, "--election: election: malformed"},
		{[]string{"export", "--node", f.url, "--election", unknown}, 1, "--out is required"},
		{[]string{"verify"}, 1, "give a record file, or --node and --election"},
		{[]string{"verify", f.record, "--node", f.url}, 1, "not both"},
		{[]string{"verify", "--node", f.url, "--election", unknown}, 1, "404 Not Found"},
		{[]string{"verify", "--election", unknown, f.record}, 1, "--election goes with --node"},
		{[]string{"verify", filepath.Join(t.TempDir(), "missing.json")}, 1, "no such file"},
		{[]string{"verify", "--workers", "-1", f.record}, 1, "--workers must be"},
	} {
		r := anyone.run(t, tc.args...)
		code, errs := r.code, r.err
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	resp, err := http.Get(f.url + "/api/v1/elections/nope/record")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET .../elections/nope/record: %s, want 400", resp.Status)
	}
	if _, err := os.Stat("x.json"); err == nil {
		t.Error("a refused export left a file")
	}

	for _, tc := range recordTampers(t, orig) {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tampered.json")
			if err := os.WriteFile(path, tc.record, 0o644); err != nil {
				t.Fatal(err)
			}
			r := anyone.run(t, "verify", path)
			code, errs := r.code, r.err
			t.Log(strings.TrimSpace(errs))
			_, rerr := observer.Verify(context.Background(), bytes.NewReader(tc.record), observer.VerifyOptions{})
			var ve *observer.VerifyError
			switch {
			case tc.code == "":
				if !errors.Is(rerr, observer.ErrRecordFormat) {
					t.Fatalf("got %v; want a malformed record", rerr)
				}
			case !errors.As(rerr, &ve) || !errors.Is(rerr, tc.code) || !strings.HasPrefix(ve.Item, tc.item):
				t.Fatalf("got %v (code %s); want code %s at %q", rerr, codeOf(rerr), tc.code, tc.item)
			}
			// evote verify exits 2 and names the item.
			if code != 2 || ve != nil && !strings.Contains(errs, ve.Item) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %q", code, errs, itemOf(rerr))
			}
			// The state machine, run on the same record, agrees.
			_, merr := observer.Verify(context.Background(), bytes.NewReader(tc.record), observer.VerifyOptions{Machine: true})
			if merr == nil || itemOf(merr) != itemOf(rerr) || codeOf(merr) != codeOf(rerr) {
				t.Fatalf("rules engine: %v\nmachine: %v", rerr, merr)
			}
		})
	}
	// The untouched record, with the state machine as the rules.
	if _, err := observer.Verify(context.Background(), bytes.NewReader(orig), observer.VerifyOptions{Machine: true}); err != nil {
		t.Fatalf("machine engine: %v", err)
	}
}

func codeOf(err error) observer.VerifyCode {
	var ve *observer.VerifyError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}

func itemOf(err error) string {
	var ve *observer.VerifyError
	if errors.As(err, &ve) {
		return ve.Item
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

type tamper struct {
	name   string
	record []byte
	item   string              // the start of the failing item the verifier names
	code   observer.VerifyCode // "" for a record that does not parse (observer.ErrRecordFormat)
}

// recordTampers changes each kind of value of the record in turn.
func recordTampers(t *testing.T, orig []byte) []tamper {
	var out []tamper
	add := func(name, item string, code observer.VerifyCode, edit func(r *recordLines)) {
		r := splitRecord(t, orig)
		edit(r)
		out = append(out, tamper{name, r.join(), item, code})
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	editTx := func(r *recordLines, kind string, n int, f func(tx []byte) []byte) (int64, int) {
		bi, ti, h := r.find(t, kind, n)
		b := r.block(t, bi)
		b.Txs[ti].Tx = f(b.Txs[ti].Tx)
		r.setBlock(t, bi, b)
		return h, b.Txs[ti].Index
	}
	txItem := func(h int64, i int) string { return fmt.Sprintf("block %d tx %d", h, i) }

	add("manifest byte", "manifest", observer.CodeBadManifest, func(r *recordLines) {
		for i, l := range r.head {
			if rest, ok := strings.CutPrefix(l, `"manifest": "`); ok {
				m, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(rest, `",`))
				if err != nil {
					t.Fatal(err)
				}
				at := bytes.Index(m, []byte("Sample election"))
				m[at] = 's' // the title, still a valid manifest
				r.head[i] = `"manifest": "` + base64.StdEncoding.EncodeToString(m) + `",`
			}
		}
	})
	add("manifest text", "", "", func(r *recordLines) {
		for i, l := range r.head {
			if rest, ok := strings.CutPrefix(l, `"manifest": "`); ok {
				r.head[i] = `"manifest": "` + rest[:40] + string(rest[40]^1) + rest[41:]
			}
		}
	})
	var item string
	add("roll key", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "append-voters", 0, func(tx []byte) []byte { return flip(tx, len(tx)-64-10) })
		item = txItem(h, i) + " (append-voters"
	})
	out[len(out)-1].item = item
	add("dkg deal", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "dkg-deal", 1, func(tx []byte) []byte { return flip(tx, 200) })
		item = txItem(h, i) + " (dkg-deal of trustee 2)"
	})
	out[len(out)-1].item = item
	// A ballot: envelope (12 tag + 1 kind + 32 signer + 4 length), body
	// (32 election + 8 seq + 4 count + 4 length), contest 0 (1+16 tag + 2
	// count), then option 0's ciphertext, then its proof.
	const contest0 = 12 + 1 + 32 + 4 + 32 + 8 + 4 + 4 + 17 + 2
	add("ballot ciphertext", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "ballot", 2, func(tx []byte) []byte { return flip(tx, contest0+40) })
		item = txItem(h, i) + " (ballot of evote-voter:"
	})
	out[len(out)-1].item = item
	add("ballot proof", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "ballot", 3, func(tx []byte) []byte { return flip(tx, contest0+64+70) })
		item = txItem(h, i) + " (ballot of evote-voter:"
	})
	out[len(out)-1].item = item
	add("ballot signature", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "ballot", 4, func(tx []byte) []byte { return flip(tx, len(tx)-5) })
		item = txItem(h, i) + " (ballot of evote-voter:"
	})
	out[len(out)-1].item = item
	add("replaced mark set", "block ", observer.CodeReplacedMark, func(r *recordLines) {
		bi, ti, _ := r.find(t, "ballot", 5)
		b := r.block(t, bi)
		yes := true
		b.Txs[ti].Replaced = &yes
		r.setBlock(t, bi, b)
	})
	add("replaced mark cleared", "block ", observer.CodeReplacedMark, func(r *recordLines) {
		for i := range r.blocks {
			b := r.block(t, i)
			for j := range b.Txs {
				if b.Txs[j].Replaced != nil && *b.Txs[j].Replaced {
					no := false
					b.Txs[j].Replaced = &no
				}
			}
			r.setBlock(t, i, b)
		}
	})
	add("aggregate", "claims: aggregate 3", observer.CodeAggregateMismatch, func(r *recordLines) {
		var c map[string]any
		json.Unmarshal([]byte(strings.TrimPrefix(r.tail[1], `"claims": `)), &c)
		aggs := c["aggregates"].([]any)
		s := aggs[3].(string)
		aggs[3] = s[:10] + string(s[10]^1) + s[11:]
		enc, _ := json.Marshal(c)
		r.tail[1] = `"claims": ` + string(enc)
	})
	add("decryption share", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		h, i := editTx(r, "decryption-shares", 0, func(tx []byte) []byte { return flip(tx, 150) })
		item = txItem(h, i) + " (decryption-shares of trustee 1)"
	})
	out[len(out)-1].item = item
	add("result count", "claims: result contest 1", observer.CodeResultMismatch, func(r *recordLines) {
		var c map[string]any
		json.Unmarshal([]byte(strings.TrimPrefix(r.tail[1], `"claims": `)), &c)
		res := c["result"].(map[string]any)
		tot := res["totals"].([]any)[1].([]any)
		tot[2] = tot[2].(float64) + 1
		enc, _ := json.Marshal(c)
		r.tail[1] = `"claims": ` + string(enc)
	})
	editHeader := func(r *recordLines, bi int, f func(h map[string]any)) int64 {
		b := r.block(t, bi)
		var h map[string]any
		json.Unmarshal(b.Header, &h)
		f(h)
		b.Header, _ = json.Marshal(h)
		r.setBlock(t, bi, b)
		return b.Height
	}
	add("header field", "", observer.CodeCommitMismatch, func(r *recordLines) {
		bi, _, _ := r.find(t, "ballot", 0)
		h := editHeader(r, bi, func(h map[string]any) {
			h["app_hash"] = strings.Repeat("AB", 32)
		})
		item = fmt.Sprintf("block %d", h)
	})
	out[len(out)-1].item = item
	add("header time", "", observer.CodeBadHeader, func(r *recordLines) {
		bi, _, _ := r.find(t, "close", 0)
		h := editHeader(r, bi, func(h map[string]any) {
			h["time"] = "2020-01-01T00:00:00Z"
		})
		item = fmt.Sprintf("block %d", h)
	})
	out[len(out)-1].item = item
	add("commit signature", "", observer.CodeBadCommitSignature, func(r *recordLines) {
		bi, _, h := r.find(t, "open", 0)
		b := r.block(t, bi)
		var c map[string]any
		json.Unmarshal(b.Commit, &c)
		sig := c["signatures"].([]any)[0].(map[string]any)
		s := sig["signature"].(string)
		sig["signature"] = "A" + s[1:]
		if s[0] == 'A' {
			sig["signature"] = "B" + s[1:]
		}
		b.Commit, _ = json.Marshal(c)
		r.setBlock(t, bi, b)
		item = fmt.Sprintf("block %d", h)
	})
	out[len(out)-1].item = item
	add("merkle leaf", "", observer.CodeDataHashMismatch, func(r *recordLines) {
		bi, _, h := r.find(t, "ballot", 0)
		b := r.block(t, bi)
		b.TxHashes[0] = flip(b.TxHashes[0], 3)
		r.setBlock(t, bi, b)
		item = fmt.Sprintf("block %d", h)
	})
	out[len(out)-1].item = item
	add("tx index", "", observer.CodeTxHashMismatch, func(r *recordLines) {
		bi, ti, h := r.find(t, "ballot", 1)
		b := r.block(t, bi)
		b.Txs[ti].Index = len(b.TxHashes) + 3
		r.setBlock(t, bi, b)
		item = fmt.Sprintf("block %d tx %d", h, b.Txs[ti].Index)
	})
	out[len(out)-1].item = item
	add("tx removed", "", observer.CodeStateMismatch, func(r *recordLines) {
		bi, ti, h := r.find(t, "ballot", 6)
		b := r.block(t, bi)
		b.Txs = append(b.Txs[:ti], b.Txs[ti+1:]...)
		r.setBlock(t, bi, b)
		// The state the validators signed after that block has the ballot:
		// the next block's state commitment says so.
		item = fmt.Sprintf("block %d state", h+1)
	})
	out[len(out)-1].item = item
	add("tx duplicated", "", observer.CodeRecordMalformed, func(r *recordLines) {
		bi, ti, h := r.find(t, "ballot", 7)
		b := r.block(t, bi)
		b.Txs = append(b.Txs[:ti+1], b.Txs[ti:]...)
		r.setBlock(t, bi, b)
		item = fmt.Sprintf("block %d tx %d", h, b.Txs[ti].Index)
	})
	out[len(out)-1].item = item
	add("kind", "", observer.CodeRecordMalformed, func(r *recordLines) {
		bi, ti, h := r.find(t, "open", 0)
		b := r.block(t, bi)
		b.Txs[ti].Kind = "close"
		r.setBlock(t, bi, b)
		item = fmt.Sprintf("block %d tx %d", h, b.Txs[ti].Index)
	})
	out[len(out)-1].item = item
	add("block reordered", "", observer.CodeStateUnproven, func(r *recordLines) {
		// The revote's block before the first ballots' block: the block
		// before the first ballots' changed the state, and the block that
		// proves it is not next.
		first, _, _ := r.find(t, "ballot", 0)
		revote, _, _ := r.find(t, "ballot", 9)
		r.blocks[first], r.blocks[revote] = r.blocks[revote], r.blocks[first]
		item = fmt.Sprintf("block %d", r.height(t, first-1))
	})
	out[len(out)-1].item = item
	add("block removed", "", observer.CodeStateUnproven, func(r *recordLines) {
		// The opening's block: the state after the block before it is
		// proven by it, so its absence is caught there.
		bi, _, _ := r.find(t, "open", 0)
		item = fmt.Sprintf("block %d", r.height(t, bi-1))
		r.blocks = append(r.blocks[:bi], r.blocks[bi+1:]...)
	})
	out[len(out)-1].item = item
	add("truncated", "", "", func(r *recordLines) {
		r.tail = nil
	})
	return out
}
