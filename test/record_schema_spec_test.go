package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/observer"
)

// TestRecordSchemaTestdata: the records kept in the repository match
// docs/spec/record.schema.json, and where the schema forbids a member
// nobody wrote, the verifier refuses it too (the schema says no more than
// the reader does, and no less where it says "additionalProperties").
func TestRecordSchemaTestdata(t *testing.T) {
	root := moduleRoot(t)
	for _, p := range []string{
		filepath.Join(root, "observer", "testdata", "small-record.json"),
		filepath.Join(root, "observer", "testdata", "valset-record.json"), // evote/v3, across a validator change
		filepath.Join(root, "test", "testdata", "record-before-role-keys.json"),
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkRecordSchema(t, b)
	}

	rec, err := os.ReadFile(filepath.Join(root, "observer", "testdata", "small-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observer.Verify(context.Background(), bytes.NewReader(rec), observer.VerifyOptions{}); err != nil {
		t.Fatalf("the record does not verify: %v", err)
	}
	schema, err := os.ReadFile(filepath.Join(root, "docs", "spec", "record.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c schemaChecker
	if err := json.Unmarshal(schema, &c.root); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		code           error
	}{
		{"app_state", `"app_state":{"chain_id"`, `"app_state":{"x":1,"chain_id"`, observer.CodeBadGenesis},
		{"header", `"header":{"version"`, `"header":{"x":1,"version"`, observer.CodeBadHeader},
		{"header.version", `"version":{"block":"11"}`, `"version":{"block":"11","x":1}`, observer.CodeBadHeader},
		{"header.last_block_id", `"last_block_id":{"hash"`, `"last_block_id":{"x":1,"hash"`, observer.CodeBadHeader},
		{"header.last_block_id.parts", `"parts":{"total"`, `"parts":{"x":1,"total"`, observer.CodeBadHeader},
		{"commit", `"commit":{"height"`, `"commit":{"x":1,"height"`, observer.CodeCommitMismatch},
		{"commit.block_id", `"block_id":{"hash"`, `"block_id":{"x":1,"hash"`, observer.CodeCommitMismatch},
		{"commit.signatures[]", `{"block_id_flag"`, `{"x":1,"block_id_flag"`, observer.CodeCommitMismatch},
		{"block", `{"height":1,`, `{"x":1,"height":1,`, observer.ErrRecordFormat},
		{"claims", `"claims": {"phase"`, `"claims": {"x":1,"phase"`, observer.ErrRecordFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(rec, []byte(tc.old)) {
				t.Fatalf("the record has no %s", tc.old)
			}
			bad := bytes.Replace(rec, []byte(tc.old), []byte(tc.new), 1)
			var doc any
			if err := json.Unmarshal(bad, &doc); err != nil {
				t.Fatal(err)
			}
			errs := c.check(c.root, doc, "$")
			if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), `unexpected member "x"`) {
				t.Errorf("the schema lets an unknown member of %s through: %v", tc.name, errs)
			}
			if _, err := observer.Verify(context.Background(), bytes.NewReader(bad), observer.VerifyOptions{}); !errors.Is(err, tc.code) {
				t.Errorf("the verifier: %v, want %v", err, tc.code)
			}
		})
	}
}
