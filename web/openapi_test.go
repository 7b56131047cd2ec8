package web

import (
	"encoding"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// The API's types, by the name of their schema in openapi.yaml.
var schemaTypes = map[string]reflect.Type{
	"Error":           reflect.TypeFor[api.ErrorBody](),
	"Status":          reflect.TypeFor[api.Status](),
	"Genesis":         reflect.TypeFor[api.Genesis](),
	"ElectionList":    reflect.TypeFor[api.ElectionList](),
	"ElectionSummary": reflect.TypeFor[api.ElectionSummary](),
	"ElectionDetail":  reflect.TypeFor[api.ElectionDetail](),
	"RollPage":        reflect.TypeFor[api.RollPage](),
	"Tally":           reflect.TypeFor[api.Tally](),
	"Result":          reflect.TypeFor[api.Result](),
	"VoterStatus":     reflect.TypeFor[api.VoterStatus](),
	"DKGMessages":     reflect.TypeFor[api.DKG](),
	"SubmitRequest":   reflect.TypeFor[api.SubmitRequest](),
	"SubmitResponse":  reflect.TypeFor[api.SubmitResponse](),
	"Receipt":         reflect.TypeFor[api.Receipt](),
}

// The schema each answer names: "path method status" to schema names.
var answerSchemas = map[string][]string{
	"/api/v1/status get 200":                      {"Status"},
	"/api/v1/genesis get 200":                     {"Genesis"},
	"/api/v1/elections get 200":                   {"ElectionList"},
	"/api/v1/elections/{id} get 200":              {"ElectionDetail"},
	"/api/v1/elections/{id}/roll get 200":         {"RollPage"},
	"/api/v1/elections/{id}/tally get 200":        {"Tally"},
	"/api/v1/elections/{id}/result get 200":       {"Result"},
	"/api/v1/elections/{id}/dkg get 200":          {"DKGMessages"},
	"/api/v1/elections/{id}/voters/{key} get 200": {"VoterStatus"},
	"/api/v1/transactions post 200":               {"SubmitResponse"},
	"/api/v1/transactions post 202":               {"SubmitResponse"},
	"/api/v1/transactions post 422":               {"Error", "SubmitResponse"},
	"/api/v1/transactions post request":           {"SubmitRequest"},
	"/api/v1/receipts/{code} get 200":             {"Receipt"},
	"/api/v1/elections/{id}/voters/{key} get 404": {"Error"},
	"/api/v1/transactions post 409":               {"Error"},
	"/api/v1/transactions post 413":               {"Error"},
	"/api/v1/transactions post 503":               {"Error"},
	"/api/v1/transactions post 504":               {"Error"},
	"/api/v1/receipts/{code} get 202":             {"Error"},
	"/api/v1/receipts/{code} get 404":             {"Error"},
	"/api/v1/receipts/{code} get 410":             {"Error"},
	"/api/v1/elections/{id}/record get 410":       {"Error"},
	"/api/v1/receipts/{code} get 503":             {"Error"},
	"/api/v1/elections/{id}/record get 200":       nil, // the record: docs/spec/record.md
	"/api/v1/feed get 101":                        nil, // the feed: docs/spec/feed.md
	"/api/v1/feed get 403":                        {"Error"},
	"/api/v1/openapi.yaml get 200":                nil,
	"components/responses BadRequest":             {"Error"},
	"components/responses NotFound":               {"Error"},
}

// opaque are the types whose JSON another document specifies: the
// manifest (docs/spec/manifest.md) and CometBFT's parts of a receipt.
var opaque = []reflect.Type{reflect.TypeFor[election.Manifest](), reflect.TypeFor[json.RawMessage]()}

// TestOpenAPISchemas checks openapi.yaml against the types of package api:
// every schema's properties are the JSON names of its type's fields, both
// ways and all the way down; a field always written (no omitempty) is
// required, and nothing else is; the kinds agree; and every answer names
// the schema of the type the server writes.
func TestOpenAPISchemas(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := dig(doc, "components", "schemas")
	if len(schemas) != len(schemaTypes) {
		t.Errorf("openapi.yaml has %d schemas, package api %d types for them", len(schemas), len(schemaTypes))
	}
	for name, typ := range schemaTypes {
		s, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s for %v", name, typ)
			continue
		}
		checkSchema(t, name, schemas, s, typ)
	}

	// Every answer's schema.
	seen := map[string]bool{}
	paths := dig(doc, "paths")
	for path, ops := range paths {
		for method, op := range ops.(map[string]any) {
			op := op.(map[string]any)
			if body, ok := op["requestBody"].(map[string]any); ok {
				wantRefs(t, path+" "+method+" request", body, seen)
			}
			for status, resp := range op["responses"].(map[string]any) {
				wantRefs(t, path+" "+method+" "+status, resp.(map[string]any), seen)
			}
		}
	}
	for name, resp := range dig(doc, "components", "responses") {
		wantRefs(t, "components/responses "+name, resp.(map[string]any), seen)
	}
	for where := range answerSchemas {
		if !seen[where] {
			t.Errorf("openapi.yaml has no %s", where)
		}
	}
}

// wantRefs checks that the schemas an answer names are the expected ones.
// An answer that refers to a shared response (BadRequest, NotFound) is
// checked there.
func wantRefs(t *testing.T, where string, answer map[string]any, seen map[string]bool) {
	t.Helper()
	if _, ok := answer["$ref"]; ok {
		return
	}
	seen[where] = true
	want, ok := answerSchemas[where]
	if !ok {
		t.Errorf("%s: not in the test's table", where)
		return
	}
	var got []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					got = append(got, strings.TrimPrefix(x.(string), "#/components/schemas/"))
				} else {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(answer["content"])
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s names the schemas %v, the server writes %v", where, got, want)
	}
}

func dig(doc map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		doc, _ = doc[k].(map[string]any)
	}
	return doc
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// checkSchema checks schema s against the JSON encoding/json gives typ.
func checkSchema(t *testing.T, where string, schemas map[string]any, s map[string]any, typ reflect.Type) {
	t.Helper()
	if ref, ok := s["$ref"].(string); ok {
		s, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		if s == nil {
			t.Errorf("%s: no schema %s", where, ref)
			return
		}
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	kind, _ := s["type"].(string)
	want := ""
	switch {
	case slices.Contains(opaque, typ):
		want = "object"
	case typ.Implements(textMarshaler) || reflect.PointerTo(typ).Implements(textMarshaler):
		want = "string"
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Uint8:
		want = "string" // base64
	case typ.Kind() == reflect.Slice:
		want = "array"
	case typ.Kind() == reflect.Map, typ.Kind() == reflect.Struct:
		want = "object"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		want = "integer"
	default:
		t.Errorf("%s: Go type %v has no JSON kind here", where, typ)
		return
	}
	if kind != want {
		t.Errorf("%s: schema type %q, the Go type %v is written as %s", where, kind, typ, want)
		return
	}
	switch {
	case want == "array":
		items, _ := s["items"].(map[string]any)
		if items == nil {
			t.Errorf("%s: an array without items", where)
			return
		}
		checkSchema(t, where+"[]", schemas, items, typ.Elem())
	case want == "object" && typ.Kind() == reflect.Struct && !slices.Contains(opaque, typ):
		props, _ := s["properties"].(map[string]any)
		var required []string
		for _, r := range asList(s["required"]) {
			required = append(required, r.(string))
		}
		fields := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fields[name] = true
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s: %v.%s is written as %q, which the schema lacks", where, typ, f.Name, name)
				continue
			}
			always := !strings.Contains(opts, "omitempty")
			if always != slices.Contains(required, name) {
				t.Errorf("%s.%s: required %v in the schema, but always written %v", where, name, !always, always)
			}
			checkSchema(t, where+"."+name, schemas, p, f.Type)
		}
		for name := range props {
			if !fields[name] {
				t.Errorf("%s: the schema has %q, which %v does not write", where, name, typ)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
