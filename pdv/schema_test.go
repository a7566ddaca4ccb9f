package pdv

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

const tabularSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "test pool",
  "type": "object",
  "properties": {
    "features": {"type": "array", "minItems": 2, "maxItems": 3,
                 "items": {"type": "number", "minimum": 0, "maximum": 16}},
    "label": {"type": "integer", "minimum": 0, "maximum": 9}
  },
  "required": ["features", "label"],
  "additionalProperties": false
}`

const textSchema = `{
  "type": "object",
  "properties": {
    "text": {"type": "string", "minLength": 3, "maxLength": 5},
    "label": {"type": "integer", "enum": [3, 1, 2, 2]}
  },
  "required": ["text"]
}`

func TestParseSchemaErrors(t *testing.T) {
	tests := []struct {
		name, kind, schema, want string // want: substring of the error; "" means no error
	}{
		{"tabular ok", KindTabular, tabularSchema, ""},
		{"text ok", KindText, textSchema, ""},
		{"empty object", KindTabular, `{}`, ""},
		{"integer items, enum label", KindTabular, `{"properties":{"features":{"items":{"type":"integer"}},"label":{"enum":[0,1]}}}`, ""},
		{"unknown kind", "image", `{}`, "unknown record kind"},
		{"not JSON", KindTabular, `{"type":`, "not valid JSON"},
		{"trailing data", KindTabular, `{} {}`, "data after"},
		{"not an object", KindTabular, `[1]`, "must be a JSON object"},
		{"unknown top keyword", KindTabular, `{"patternProperties":{}}`, `unsupported keyword "patternProperties"`},
		{"top type", KindTabular, `{"type":"array"}`, `type must be "object"`},
		{"additionalProperties schema", KindTabular, `{"additionalProperties":{}}`, "additionalProperties must be true or false"},
		{"required not list", KindTabular, `{"required":"label"}`, "required must be a list"},
		{"required unknown", KindTabular, `{"required":["foo"]}`, "foo is not a tabular field"},
		{"required text in tabular", KindTabular, `{"required":["text"]}`, "not a tabular field"},
		{"properties not object", KindTabular, `{"properties":[]}`, "properties must be an object"},
		{"property unknown", KindTabular, `{"properties":{"foo":{}}}`, `"foo" is not a tabular field`},
		{"features in text", KindText, `{"properties":{"features":{}}}`, `"features" is not a text field`},
		{"property not object", KindTabular, `{"properties":{"label":3}}`, "properties.label must be an object"},
		{"features type", KindTabular, `{"properties":{"features":{"type":"string"}}}`, `type must be "array"`},
		{"features keyword", KindTabular, `{"properties":{"features":{"uniqueItems":true}}}`, `unsupported keyword "uniqueItems"`},
		{"minItems negative", KindTabular, `{"properties":{"features":{"minItems":-1}}}`, "minItems must be an integer between"},
		{"minItems fraction", KindTabular, `{"properties":{"features":{"minItems":1.5}}}`, "minItems must be an integer between"},
		{"minItems string", KindTabular, `{"properties":{"features":{"minItems":"3"}}}`, "minItems must be a non-negative integer"},
		{"maxItems huge", KindTabular, `{"properties":{"features":{"maxItems":1e20}}}`, "maxItems must be an integer between"},
		{"minItems > maxItems", KindTabular, `{"properties":{"features":{"minItems":4,"maxItems":3}}}`, "minItems 4 is above maxItems 3"},
		{"items not object", KindTabular, `{"properties":{"features":{"items":[]}}}`, "items must be an object"},
		{"items type", KindTabular, `{"properties":{"features":{"items":{"type":"string"}}}}`, `type must be "number" or "integer"`},
		{"items keyword", KindTabular, `{"properties":{"features":{"items":{"exclusiveMaximum":3}}}}`, `unsupported keyword "exclusiveMaximum"`},
		{"items maximum huge", KindTabular, `{"properties":{"features":{"items":{"maximum":1e9}}}}`, "maximum must be a number within ±100000"},
		{"items minimum string", KindTabular, `{"properties":{"features":{"items":{"minimum":"0"}}}}`, "minimum must be a number"},
		{"items min > max", KindTabular, `{"properties":{"features":{"items":{"minimum":2,"maximum":1.5}}}}`, "minimum 2 is above maximum 1.5"},
		{"label type", KindTabular, `{"properties":{"label":{"type":"number"}}}`, `type must be "integer"`},
		{"label keyword", KindTabular, `{"properties":{"label":{"multipleOf":2}}}`, `unsupported keyword "multipleOf"`},
		{"label minimum fraction", KindTabular, `{"properties":{"label":{"minimum":0.5}}}`, "minimum must be an integer"},
		{"label min > max", KindTabular, `{"properties":{"label":{"minimum":3,"maximum":2}}}`, "minimum 3 is above maximum 2"},
		{"label enum empty", KindTabular, `{"properties":{"label":{"enum":[]}}}`, "enum must be a non-empty list"},
		{"label enum fraction", KindTabular, `{"properties":{"label":{"enum":[1,2.5]}}}`, "enum value must be an integer"},
		{"label enum string", KindTabular, `{"properties":{"label":{"enum":["a"]}}}`, "enum value must be an integer"},
		{"text type", KindText, `{"properties":{"text":{"type":"integer"}}}`, `type must be "string"`},
		{"text keyword", KindText, `{"properties":{"text":{"pattern":"a+"}}}`, `unsupported keyword "pattern"`},
		{"minLength > maxLength", KindText, `{"properties":{"text":{"minLength":5,"maxLength":4}}}`, "minLength 5 is above maxLength 4"},
	}
	for _, tc := range tests {
		s, err := ParseSchema(tc.kind, []byte(tc.schema))
		if tc.want == "" {
			if err != nil || s == nil || s.Kind() != tc.kind {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// parseOne parses a single line and returns its record or reason.
func parseOne(t *testing.T, kind, schema, line string) (Record, string) {
	t.Helper()
	s, err := ParseSchema(kind, []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	recs, rep, err := Parse(Config{Kind: kind, Schema: s}, strings.NewReader(line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 1 {
		t.Fatalf("%q: %d lines", line, rep.Lines)
	}
	if len(recs) == 1 {
		return recs[0], ""
	}
	if len(rep.Errors) != 1 {
		t.Fatalf("%q: errors %v", line, rep.Errors)
	}
	return Record{}, rep.Errors[0]
}

func TestRecordReasons(t *testing.T) {
	const intItems = `{"properties":{"features":{"items":{"type":"integer"}}}}`
	const enumLabel = `{"properties":{"label":{"enum":[1,2,3]}}}`
	tests := []struct {
		name, kind, schema, line, want string // want "" means valid
	}{
		{"valid", KindTabular, tabularSchema, `{"features":[1,2.5],"label":1}`, ""},
		{"valid order", KindTabular, tabularSchema, `{"label":9,"features":[0,16,16]}`, ""},
		{"exactly max after rounding", KindTabular, tabularSchema, `{"features":[16.00004,0],"label":1}`, ""},
		{"not JSON", KindTabular, tabularSchema, `{"features":[1,2],"label":1`, "line 1: not valid JSON"},
		{"garbage", KindTabular, tabularSchema, `hello`, "line 1: not valid JSON"},
		{"two objects", KindTabular, tabularSchema, `{"features":[1,2],"label":1} {}`, "line 1: not valid JSON"},
		{"not object", KindTabular, tabularSchema, `[1,2]`, "line 1: not a JSON object"},
		{"above maximum", KindTabular, tabularSchema, `{"features":[1,2,17],"label":1}`, "line 1: features[2]: above maximum 16"},
		{"above maximum by rounding", KindTabular, tabularSchema, `{"features":[16.00005,0],"label":1}`, "line 1: features[0]: above maximum 16"},
		{"below minimum", KindTabular, tabularSchema, `{"features":[-0.0001,2],"label":1}`, "line 1: features[0]: below minimum 0"},
		{"rounds to zero", KindTabular, tabularSchema, `{"features":[-0.00004,2],"label":1}`, ""},
		{"huge", KindTabular, tabularSchema, `{"features":[1,1e400],"label":1}`, "line 1: features[1]: magnitude above the supported bound 100000"},
		{"too few", KindTabular, tabularSchema, `{"features":[1],"label":1}`, "line 1: features: 1 items, fewer than minItems 2"},
		{"too many", KindTabular, tabularSchema, `{"features":[1,2,3,4],"label":1}`, "line 1: features: more than maxItems 3 items"},
		{"item string", KindTabular, tabularSchema, `{"features":[1,"2"],"label":1}`, "line 1: features[1]: expected a number"},
		{"item null", KindTabular, tabularSchema, `{"features":[null,2],"label":1}`, "line 1: features[0]: expected a number"},
		{"features not array", KindTabular, tabularSchema, `{"features":{"a":1},"label":1}`, "line 1: features: expected an array"},
		{"label fraction", KindTabular, tabularSchema, `{"features":[1,2],"label":1.5}`, "line 1: label: not an integer"},
		{"label 2.0", KindTabular, tabularSchema, `{"features":[1,2],"label":2.0}`, ""},
		{"label string", KindTabular, tabularSchema, `{"features":[1,2],"label":"1"}`, "line 1: label: expected an integer"},
		{"label huge", KindTabular, `{}`, `{"features":[1,2],"label":1e30}`, "line 1: label: out of the int64 range"},
		{"label above", KindTabular, tabularSchema, `{"features":[1,2],"label":10}`, "line 1: label: above maximum 9"},
		{"label below", KindTabular, tabularSchema, `{"features":[1,2],"label":-1}`, "line 1: label: below minimum 0"},
		{"label enum", KindTabular, enumLabel, `{"features":[1,2],"label":4}`, "line 1: label: 4 is not in enum"},
		{"label in enum", KindTabular, enumLabel, `{"features":[1,2],"label":3}`, ""},
		{"missing label", KindTabular, tabularSchema, `{"features":[1,2]}`, `line 1: missing required property "label"`},
		{"missing features", KindTabular, `{}`, `{"label":1}`, `line 1: missing required property "features"`},
		{"extra property", KindTabular, tabularSchema, `{"features":[1,2],"label":1,"x":2}`, `line 1: unexpected property "x"`},
		{"extra allowed", KindTabular, `{}`, `{"x":{"a":[1,{"b":[]}]},"features":[1,2],"label":1,"y":null}`, ""},
		{"text in tabular", KindTabular, tabularSchema, `{"features":[1,2],"label":1,"text":"a"}`, `line 1: unexpected property "text"`},
		{"duplicate", KindTabular, tabularSchema, `{"features":[1,2],"label":1,"label":2}`, `line 1: duplicate property "label"`},
		{"duplicate features", KindTabular, tabularSchema, `{"features":[1,2],"features":[1,2],"label":1}`, `line 1: duplicate property "features"`},
		{"integer items", KindTabular, intItems, `{"features":[1,2.0,3e1],"label":1}`, ""},
		{"integer items fraction", KindTabular, intItems, `{"features":[1,2.5],"label":1}`, "line 1: features[1]: not an integer"},
		{"text valid", KindText, textSchema, `{"text":"héllo","label":1}`, ""},
		{"text short", KindText, textSchema, `{"text":"ab","label":1}`, "line 1: text: 2 characters, fewer than minLength 3"},
		{"text long", KindText, textSchema, `{"text":"héllo!","label":1}`, "line 1: text: 6 characters, more than maxLength 5"},
		{"text not string", KindText, textSchema, `{"text":12345,"label":1}`, "line 1: text: expected a string"},
		{"text label enum", KindText, textSchema, `{"text":"abc","label":4}`, "line 1: label: 4 is not in enum"},
		{"text missing", KindText, textSchema, `{"label":1}`, `line 1: missing required property "text"`},
		{"text duplicate", KindText, textSchema, `{"text":"abc","text":"abc","label":1}`, `line 1: duplicate property "text"`},
	}
	for _, tc := range tests {
		_, reason := parseOne(t, tc.kind, tc.schema, tc.line)
		if reason != tc.want {
			t.Errorf("%s: reason %q, want %q", tc.name, reason, tc.want)
		}
	}
}

func TestParseRecords(t *testing.T) {
	s, err := ParseSchema(KindTabular, []byte(tabularSchema))
	if err != nil {
		t.Fatal(err)
	}
	in := "{\"features\":[5.1,3.5],\"label\":0}\r\n" + // CRLF
		"\n   \n" + // blank lines: skipped, not counted
		"bad 1\nbad 2\n{\"features\":[1e1,0.00005,2],\"label\":3}\nbad 3\nbad 4\nbad 5\nbad 6\n" +
		"{\"features\":[0,0],\"label\":9}" // no final newline
	recs, rep, err := Parse(Config{Kind: KindTabular, Schema: s}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 9 || rep.Valid != 3 || len(recs) != 3 {
		t.Fatalf("lines %d valid %d records %d", rep.Lines, rep.Valid, len(recs))
	}
	wantErrs := []string{"line 4: not valid JSON", "line 5: not valid JSON", "line 7: not valid JSON", "line 8: not valid JSON", "line 9: not valid JSON"}
	if fmt.Sprint(rep.Errors) != fmt.Sprint(wantErrs) {
		t.Fatalf("errors %q, want %q", rep.Errors, wantErrs)
	}
	if fmt.Sprint(recs[1].Features) != "[100000 1 20000]" || recs[1].Label != 3 {
		t.Fatalf("record 1: %v %d", recs[1].Features, recs[1].Label)
	}
	if recs[0].Sig != MinHash([]byte("5.1,3.5;0")) {
		t.Fatal("record 0: signature is not the MinHash of its canonical content")
	}

	// A nil schema accepts any record of the kind's shape.
	recs, rep, err = Parse(Config{Kind: KindTabular}, strings.NewReader(`{"features":[-99999,1,2,3,4,5],"label":-7,"extra":1}`))
	if err != nil || len(recs) != 1 || rep.Lines != 1 || recs[0].Label != -7 {
		t.Fatalf("nil schema: %v %v %v", recs, rep, err)
	}
}

func TestParseText(t *testing.T) {
	recs, rep, err := Parse(Config{Kind: KindText, TextDims: 1024}, strings.NewReader(
		`{"text":"ABCabc","label":1}`+"\n"+`{"text":"","label":0}`))
	if err != nil || rep.Valid != 2 {
		t.Fatalf("%v %v", rep, err)
	}
	// "abcabc" has 3-grams abc, bca, cab, abc.
	want := make([]int64, 1024)
	for _, g := range []string{"abc", "bca", "cab", "abc"} {
		want[fnv1a([]byte(g))%1024] += FeatureScale
	}
	if fmt.Sprint(recs[0].Features) != fmt.Sprint(want) {
		t.Fatalf("features %v, want %v", recs[0].Features, want)
	}
	if recs[0].Sig != MinHash([]byte("ABCabc")) {
		t.Fatal("signature is not the MinHash of the raw text")
	}
	if len(recs[1].Features) != 1024 || fmt.Sprint(recs[1].Features) != fmt.Sprint(make([]int64, 1024)) {
		t.Fatalf("empty text features %v", recs[1].Features)
	}
	// Counts saturate at MaxFeature.
	f := TextFeatures(strings.Repeat("a", 100_010), 1)
	if f[0] != MaxFeature {
		t.Fatalf("saturated count %d", f[0])
	}
}

func TestParseLongLineAndReadError(t *testing.T) {
	long := `{"features":[` + strings.Repeat("1,", MaxLineBytes/2) + `1],"label":1}`
	in := long + "\n" + `{"features":[1,2],"label":1}` + "\n" + long
	recs, rep, err := Parse(Config{Kind: KindTabular}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("line 1: longer than %d bytes", MaxLineBytes)
	if rep.Lines != 3 || len(recs) != 1 || len(rep.Errors) != 2 || rep.Errors[0] != want ||
		rep.Errors[1] != fmt.Sprintf("line 3: longer than %d bytes", MaxLineBytes) {
		t.Fatalf("lines %d records %d errors %q", rep.Lines, len(recs), rep.Errors)
	}
	boom := errors.New("disk on fire")
	_, _, err = Parse(Config{Kind: KindTabular}, io.MultiReader(strings.NewReader("{}\n{}\n"), errReader{boom}))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("read error: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestConfigValidate(t *testing.T) {
	textSch, _ := ParseSchema(KindText, []byte(`{}`))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{Kind: KindTabular}, ""},
		{"kind", Config{Kind: "image"}, "unknown kind"},
		{"schema kind", Config{Kind: KindTabular, Schema: textSch}, "schema was parsed for kind"},
		{"K", Config{Kind: KindTabular, K: -1}, "K is -1"},
		{"dims", Config{Kind: KindText, TextDims: MaxTextDims + 1}, "TextDims"},
		{"weights", Config{Kind: KindTabular, Weights: Weights{1, 2, 3}}, "do not sum to 10000"},
		{"weights ok", Config{Kind: KindTabular, Weights: Weights{0, 0, 10000}}, ""},
		{"threshold", Config{Kind: KindTabular, DupThresholdPPM: PPM + 1}, "DupThresholdPPM"},
		{"min score", Config{Kind: KindTabular, MinScorePPM: PPM + 1}, "MinScorePPM"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if tc.want != "" {
			if _, _, err := Parse(tc.cfg, strings.NewReader("")); err == nil {
				t.Errorf("%s: Parse accepted a bad config", tc.name)
			}
			if res := Score(tc.cfg, nil, nil, nil, ParseReport{Lines: 1}); res.Accepted || !strings.Contains(res.Reason, tc.want) {
				t.Errorf("%s: Score: %+v", tc.name, res)
			}
		}
	}
}
