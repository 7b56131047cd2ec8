package test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkRecordSchema checks a record against docs/spec/record.schema.json
// with the part of JSON Schema (2020-12) that file uses: type, const, enum,
// required, properties, additionalProperties, items, minItems, minimum,
// minLength, maxLength, pattern and local $ref.
func checkRecordSchema(t *testing.T, record []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "spec", "record.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	var doc any
	if err := json.Unmarshal(record, &doc); err != nil {
		t.Fatalf("record: %v", err)
	}
	if errs := (&schemaChecker{root: schema}).check(schema, doc, "$"); len(errs) > 0 {
		t.Fatalf("the record does not match its schema:\n%s", strings.Join(errs[:min(len(errs), 10)], "\n"))
	}
}

type schemaChecker struct{ root map[string]any }

func (c *schemaChecker) check(s map[string]any, v any, at string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, ok := c.root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok {
			bad("unknown $ref %s", ref)
			return errs
		}
		return c.check(def, v, at)
	}
	if want, ok := s["const"]; ok && v != want {
		bad("%v is not %v", v, want)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		bad("%v is not one of %v", v, enum)
	}
	if typ, ok := s["type"].(string); ok && !isType(v, typ) {
		bad("%T is not of type %s", v, typ)
		return errs
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := v[r.(string)]; !ok {
				bad("lacks %q", r)
			}
		}
		for k, x := range v {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, c.check(ps, x, at+"."+k)...)
			} else if s["additionalProperties"] == false {
				bad("unexpected member %q", k)
			}
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(v)) < n {
			bad("%d items, at least %v", len(v), n)
		}
		if is, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				errs = append(errs, c.check(is, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case string:
		if n, ok := s["minLength"].(float64); ok && float64(len(v)) < n {
			bad("shorter than %v", n)
		}
		if n, ok := s["maxLength"].(float64); ok && float64(len(v)) > n {
			bad("longer than %v", n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			bad("%q does not match %s", v, p)
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && v < n {
			bad("%v below %v", v, n)
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

func isType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

// TestRecordSchemaRejects: the checker itself rejects what the schema
// forbids, so that a passing check means something.
func TestRecordSchemaRejects(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "spec", "record.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	json.Unmarshal(b, &schema)
	c := &schemaChecker{root: schema}
	for _, doc := range []string{
		`{}`,
		`{"format": "evote/v2/record", "chain_id": "x", "genesis": {"app_state": {"chain_id": "x", "authorities": []}, "validators": [{"pub_key": "", "power": 1}]}, "election": "00", "manifest": "", "blocks": [], "claims": {}}`,
	} {
		var v any
		json.Unmarshal([]byte(doc), &v)
		if errs := c.check(schema, v, "$"); len(errs) == 0 {
			t.Errorf("%s passes the schema", doc)
		}
	}
}
