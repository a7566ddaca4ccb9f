package ml

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/pdv"
)

// MaxInferBytes is the largest inference input Infer accepts (1 MiB).
const MaxInferBytes = 1 << 20

// Infer runs the model on one JSON input and returns its JSON output.
// A tabular model reads {"features":[5.1,3.5,1.4,0.2]} with exactly Dims
// numbers within ±pdv.MaxFeature (parsed as decimals, no floating point); a
// text model reads {"text":"..."}. Other properties, duplicate properties
// and trailing data are errors. The output is
// {"label":2,"scores":{"0":1234,"1":5678,"2":993088}}: the predicted label
// and one score per class in parts per million (see Predict), keyed by
// label in class order. The bytes depend only on the model and the input.
func (m *Model) Infer(inputJSON []byte) ([]byte, error) {
	features, err := m.readInput(inputJSON)
	if err != nil {
		return nil, fmt.Errorf("ml: infer: %w", err)
	}
	k, scores := m.predict(features, newScratch(m))
	out := make([]byte, 0, 32+len(scores)*24)
	out = append(out, `{"label":`...)
	out = strconv.AppendInt(out, m.classes[k], 10)
	out = append(out, `,"scores":{`...)
	for c, s := range scores {
		if c > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = strconv.AppendInt(out, m.classes[c], 10)
		out = append(out, `":`...)
		out = strconv.AppendInt(out, s, 10)
	}
	return append(out, "}}"...), nil
}

// readInput parses an inference input into fixed-point features. The input
// is first checked with json.Valid; the object is then read by a small
// scanner that relies on that validity (much faster than json.Decoder's
// token stream). Numbers stay decimal text and are converted by
// pdv.ParseFixed: no floating point.
func (m *Model) readInput(in []byte) ([]int64, error) {
	if len(in) > MaxInferBytes {
		return nil, fmt.Errorf("input is %d bytes, more than %d: send a smaller input", len(in), MaxInferBytes)
	}
	if !json.Valid(in) {
		return nil, errors.New("input is not valid JSON: send one JSON object")
	}
	want := "features"
	if m.input.PoolKind == pdv.KindText {
		want = "text"
	}
	s := scanner{b: in}
	s.space()
	if s.peek() != '{' {
		return nil, fmt.Errorf(`input is not a JSON object: send {"%s": ...}`, want)
	}
	s.i++
	var features []int64
	found := false
	for {
		s.space()
		if s.peek() == '}' {
			break
		}
		key, err := s.str()
		if err != nil {
			return nil, err
		}
		if key != want {
			return nil, fmt.Errorf("unexpected property %q: a %s model reads only %q", key, m.input.PoolKind, want)
		}
		if found {
			return nil, fmt.Errorf("property %q is given twice: give it once", key)
		}
		found = true
		s.space()
		s.i++ // the colon
		s.space()
		if want == "text" {
			if s.peek() != '"' {
				return nil, errors.New(`"text" is not a string: send the text as a JSON string`)
			}
			text, err := s.str()
			if err != nil {
				return nil, err
			}
			features = pdv.TextFeatures(text, m.input.Dims)
		} else if features, err = m.readFeatures(&s); err != nil {
			return nil, err
		}
		s.space()
		if s.peek() == ',' {
			s.i++
		}
	}
	if !found {
		return nil, fmt.Errorf("missing property %q", want)
	}
	return features, nil
}

// readFeatures reads the "features" array of a tabular input.
func (m *Model) readFeatures(s *scanner) ([]int64, error) {
	if s.peek() != '[' {
		return nil, errors.New(`"features" is not an array: send an array of numbers`)
	}
	s.i++
	features := make([]int64, 0, m.input.Dims)
	for i := 0; ; i++ {
		s.space()
		c := s.peek()
		if c == ']' {
			s.i++
			break
		}
		if i >= m.input.Dims {
			return nil, fmt.Errorf("features has more than %d numbers: send exactly %d", m.input.Dims, m.input.Dims)
		}
		if c != '-' && (c < '0' || c > '9') {
			return nil, fmt.Errorf("features[%d] is not a number: send numbers only", i)
		}
		start := s.i
		for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
			s.i++
		}
		num := string(s.b[start:s.i])
		v, err := pdv.ParseFixed(num)
		if err != nil {
			return nil, fmt.Errorf("features[%d] = %s: %w (the bound is ±%s)", i, num, err, pdv.FormatFixed(pdv.MaxFeature))
		}
		features = append(features, v)
		s.space()
		if s.peek() == ',' {
			s.i++
		}
	}
	if len(features) != m.input.Dims {
		return nil, fmt.Errorf("features has %d numbers: the model takes exactly %d", len(features), m.input.Dims)
	}
	return features, nil
}

// scanner reads a JSON text already checked by json.Valid.
type scanner struct {
	b []byte
	i int
}

// peek returns the current byte, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// space skips JSON whitespace.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str reads the JSON string at the current position (which must start
// with a quote), decoding escapes with encoding/json only when present.
func (s *scanner) str() (string, error) {
	start := s.i
	escaped := false
	j := s.i + 1
	for j < len(s.b) && s.b[j] != '"' {
		if s.b[j] == '\\' {
			escaped = true
			j++
		}
		j++
	}
	s.i = j + 1
	if s.i > len(s.b) {
		return "", errors.New("input is not valid JSON: unterminated string")
	}
	if !escaped {
		return string(s.b[start+1 : j]), nil
	}
	var out string
	if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
		return "", fmt.Errorf("reading a string of the input: %w", err)
	}
	return out, nil
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
