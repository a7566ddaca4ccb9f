package pdv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Record kinds.
const (
	// KindTabular is a pool of {"features": [numbers...], "label": integer} lines.
	KindTabular = "tabular"
	// KindText is a pool of {"text": "...", "label": integer} lines.
	KindText = "text"
)

// maxCount bounds minItems, maxItems, minLength and maxLength in a schema.
const maxCount = math.MaxInt32

// Schema is a parsed pool schema: the constraints a record line must meet.
// The record shape is implied by the kind (tabular records always have
// "features" and "label", text records always have "text" and "label"); the
// schema narrows it. The zero constraints (see DefaultSchema) accept every
// record of the right shape.
type Schema struct {
	kind       string
	additional bool // additionalProperties: other keys are ignored

	minItems, maxItems int // maxItems < 0: no limit
	itemInteger        bool
	hasItemMin         bool
	hasItemMax         bool
	itemMin, itemMax   int64 // fixed-point

	hasLabelMin, hasLabelMax bool
	labelMin, labelMax       int64
	labelEnum                []int64 // sorted, nil: no enum

	minLength, maxLength int // in Unicode code points; maxLength < 0: no limit
}

// Kind returns the record kind the schema was parsed for.
func (s *Schema) Kind() string { return s.kind }

// DefaultSchema returns the schema that only enforces the kind's record
// shape: what ParseSchema returns for "{}".
func DefaultSchema(kind string) (*Schema, error) {
	if kind != KindTabular && kind != KindText {
		return nil, fmt.Errorf("pdv: unknown record kind %q: use %q or %q", kind, KindTabular, KindText)
	}
	return &Schema{kind: kind, additional: true, maxItems: -1, maxLength: -1}, nil
}

// ParseSchema parses a pool schema written in a deterministic subset of JSON
// Schema. Supported keywords:
//
//   - top level: "type": "object", "properties", "required" (a list of the
//     kind's field names; those fields are required whether listed or not),
//     "additionalProperties": true or false (default true: other keys are
//     ignored; false: a record with another key is invalid);
//   - "features" (tabular): "type": "array", "minItems", "maxItems",
//     "items": {"type": "number" or "integer", "minimum", "maximum"} —
//     bounds compare with the rounded fixed-point value and must lie within
//     ±MaxFeature;
//   - "label": "type": "integer", "minimum", "maximum", "enum" (integers);
//   - "text" (text): "type": "string", "minLength", "maxLength" (in Unicode
//     code points, as JSON Schema counts them).
//
// The annotations "$schema", "$id", "$comment", "title" and "description"
// are accepted and ignored. Any other keyword, property or value type is an
// error, so a pool cannot ask for a check that would be silently skipped.
func ParseSchema(kind string, schemaJSON []byte) (*Schema, error) {
	s, err := DefaultSchema(kind)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(schemaJSON))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("pdv: schema is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("pdv: schema has data after its JSON object; remove it")
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("pdv: schema must be a JSON object")
	}
	if err := s.parseRoot(obj); err != nil {
		return nil, fmt.Errorf("pdv: schema: %w", err)
	}
	return s, nil
}

// fieldsOf returns the record fields of a kind.
func fieldsOf(kind string) []string {
	if kind == KindText {
		return []string{"label", "text"}
	}
	return []string{"features", "label"}
}

func isAnnotation(k string) bool {
	switch k {
	case "$schema", "$id", "$comment", "title", "description":
		return true
	}
	return false
}

// sortedKeys returns the keys of m in sorted order, so that the first error
// reported does not depend on map iteration order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Schema) parseRoot(obj map[string]any) error {
	fields := fieldsOf(s.kind)
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch {
		case isAnnotation(k):
		case k == "type":
			if err := wantType(k, v, "object"); err != nil {
				return err
			}
		case k == "additionalProperties":
			b, ok := v.(bool)
			if !ok {
				return errors.New("additionalProperties must be true or false")
			}
			s.additional = b
		case k == "required":
			list, ok := v.([]any)
			if !ok {
				return errors.New("required must be a list of property names")
			}
			for _, e := range list {
				name, ok := e.(string)
				if !ok || !slices.Contains(fields, name) {
					return fmt.Errorf("required: %v is not a %s field (use %s)", e, s.kind, strings.Join(fields, ", "))
				}
			}
		case k == "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return errors.New("properties must be an object")
			}
			for _, name := range sortedKeys(props) {
				p, ok := props[name].(map[string]any)
				if !ok {
					return fmt.Errorf("properties.%s must be an object", name)
				}
				var err error
				switch {
				case name == "label":
					err = s.parseLabel(p)
				case name == "features" && s.kind == KindTabular:
					err = s.parseFeatures(p)
				case name == "text" && s.kind == KindText:
					err = s.parseText(p)
				default:
					return fmt.Errorf("properties: %q is not a %s field (use %s)", name, s.kind, strings.Join(fields, ", "))
				}
				if err != nil {
					return fmt.Errorf("properties.%s: %w", name, err)
				}
			}
		default:
			return fmt.Errorf("unsupported keyword %q", k)
		}
	}
	return nil
}

func wantType(k string, v any, want string) error {
	if t, ok := v.(string); !ok || t != want {
		return fmt.Errorf("%s must be %q", k, want)
	}
	return nil
}

// countValue parses a non-negative integer keyword such as minItems.
func countValue(k string, v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s must be a non-negative integer", k)
	}
	x, err := parseInteger(string(n))
	if err != nil || x < 0 || x > maxCount {
		return 0, fmt.Errorf("%s must be an integer between 0 and %d", k, maxCount)
	}
	return int(x), nil
}

func intValue(k string, v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s must be an integer", k)
	}
	x, err := parseInteger(string(n))
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer in the int64 range: %w", k, err)
	}
	return x, nil
}

func fixedValue(k string, v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s must be a number", k)
	}
	x, err := ParseFixed(string(n))
	if err != nil {
		return 0, fmt.Errorf("%s must be a number within ±%s: %w", k, FormatFixed(MaxFeature), err)
	}
	return x, nil
}

func (s *Schema) parseFeatures(p map[string]any) error {
	for _, k := range sortedKeys(p) {
		v := p[k]
		var err error
		switch {
		case isAnnotation(k):
		case k == "type":
			err = wantType(k, v, "array")
		case k == "minItems":
			s.minItems, err = countValue(k, v)
		case k == "maxItems":
			s.maxItems, err = countValue(k, v)
		case k == "items":
			items, ok := v.(map[string]any)
			if !ok {
				return errors.New("items must be an object")
			}
			if err := s.parseItems(items); err != nil {
				return fmt.Errorf("items: %w", err)
			}
		default:
			err = fmt.Errorf("unsupported keyword %q", k)
		}
		if err != nil {
			return err
		}
	}
	if s.maxItems >= 0 && s.minItems > s.maxItems {
		return fmt.Errorf("minItems %d is above maxItems %d", s.minItems, s.maxItems)
	}
	return nil
}

func (s *Schema) parseItems(p map[string]any) error {
	for _, k := range sortedKeys(p) {
		v := p[k]
		var err error
		switch {
		case isAnnotation(k):
		case k == "type":
			t, _ := v.(string)
			switch t {
			case "number":
			case "integer":
				s.itemInteger = true
			default:
				err = errors.New(`type must be "number" or "integer"`)
			}
		case k == "minimum":
			s.itemMin, err = fixedValue(k, v)
			s.hasItemMin = true
		case k == "maximum":
			s.itemMax, err = fixedValue(k, v)
			s.hasItemMax = true
		default:
			err = fmt.Errorf("unsupported keyword %q", k)
		}
		if err != nil {
			return err
		}
	}
	if s.hasItemMin && s.hasItemMax && s.itemMin > s.itemMax {
		return fmt.Errorf("minimum %s is above maximum %s", FormatFixed(s.itemMin), FormatFixed(s.itemMax))
	}
	return nil
}

func (s *Schema) parseLabel(p map[string]any) error {
	for _, k := range sortedKeys(p) {
		v := p[k]
		var err error
		switch {
		case isAnnotation(k):
		case k == "type":
			err = wantType(k, v, "integer")
		case k == "minimum":
			s.labelMin, err = intValue(k, v)
			s.hasLabelMin = true
		case k == "maximum":
			s.labelMax, err = intValue(k, v)
			s.hasLabelMax = true
		case k == "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return errors.New("enum must be a non-empty list of integers")
			}
			enum := make([]int64, 0, len(list))
			for _, e := range list {
				x, err := intValue("enum value", e)
				if err != nil {
					return err
				}
				enum = append(enum, x)
			}
			slices.Sort(enum)
			s.labelEnum = slices.Compact(enum)
		default:
			err = fmt.Errorf("unsupported keyword %q", k)
		}
		if err != nil {
			return err
		}
	}
	if s.hasLabelMin && s.hasLabelMax && s.labelMin > s.labelMax {
		return fmt.Errorf("minimum %d is above maximum %d", s.labelMin, s.labelMax)
	}
	return nil
}

func (s *Schema) parseText(p map[string]any) error {
	for _, k := range sortedKeys(p) {
		v := p[k]
		var err error
		switch {
		case isAnnotation(k):
		case k == "type":
			err = wantType(k, v, "string")
		case k == "minLength":
			s.minLength, err = countValue(k, v)
		case k == "maxLength":
			s.maxLength, err = countValue(k, v)
		default:
			err = fmt.Errorf("unsupported keyword %q", k)
		}
		if err != nil {
			return err
		}
	}
	if s.maxLength >= 0 && s.minLength > s.maxLength {
		return fmt.Errorf("minLength %d is above maxLength %d", s.minLength, s.maxLength)
	}
	return nil
}

// checkItem checks one fixed-point feature (index i) against the items
// constraints. exactInteger tells whether the JSON number had no fractional
// part.
func (s *Schema) checkItem(i int, v int64, exactInteger bool) error {
	if s.itemInteger && !exactInteger {
		return fmt.Errorf("features[%d]: not an integer", i)
	}
	if s.hasItemMin && v < s.itemMin {
		return fmt.Errorf("features[%d]: below minimum %s", i, FormatFixed(s.itemMin))
	}
	if s.hasItemMax && v > s.itemMax {
		return fmt.Errorf("features[%d]: above maximum %s", i, FormatFixed(s.itemMax))
	}
	return nil
}

func (s *Schema) checkItemCount(n int) error {
	if n < s.minItems {
		return fmt.Errorf("features: %d items, fewer than minItems %d", n, s.minItems)
	}
	if s.maxItems >= 0 && n > s.maxItems {
		return fmt.Errorf("features: %d items, more than maxItems %d", n, s.maxItems)
	}
	return nil
}

func (s *Schema) checkLabel(v int64) error {
	if s.hasLabelMin && v < s.labelMin {
		return fmt.Errorf("label: below minimum %d", s.labelMin)
	}
	if s.hasLabelMax && v > s.labelMax {
		return fmt.Errorf("label: above maximum %d", s.labelMax)
	}
	if s.labelEnum != nil {
		if _, ok := slices.BinarySearch(s.labelEnum, v); !ok {
			return fmt.Errorf("label: %d is not in enum", v)
		}
	}
	return nil
}

func (s *Schema) checkText(t string) error {
	n := utf8.RuneCountInString(t)
	if n < s.minLength {
		return fmt.Errorf("text: %d characters, fewer than minLength %d", n, s.minLength)
	}
	if s.maxLength >= 0 && n > s.maxLength {
		return fmt.Errorf("text: %d characters, more than maxLength %d", n, s.maxLength)
	}
	return nil
}
