package pdv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
)

// Defaults and limits of Config.
const (
	// DefaultK is the k of the KNN classifier when Config.K is 0.
	DefaultK = 5
	// DefaultTextDims is the text feature width when Config.TextDims is 0.
	DefaultTextDims = 256
	// MaxTextDims is the largest Config.TextDims.
	MaxTextDims = 1 << 16
	// DefaultDupThresholdPPM is the near-duplicate threshold when
	// Config.DupThresholdPPM is 0.
	DefaultDupThresholdPPM = 800_000
	// MaxLineBytes is the longest line Parse reads (4 MiB); a longer line
	// is invalid and skipped without being held in memory.
	MaxLineBytes = 4 << 20
	// MaxReportedErrors is how many line errors a ParseReport keeps.
	MaxReportedErrors = 5
)

// DefaultWeights returns the score weights used when Config.Weights is
// zero: 2500 validity, 2500 uniqueness, 5000 value.
func DefaultWeights() Weights {
	return Weights{Validity: 2500, Uniqueness: 2500, Value: 5000}
}

// Weights are the weights, in basis points summing to 10000, of the three
// parts of a score.
type Weights struct {
	Validity, Uniqueness, Value uint32
}

// Config configures parsing and scoring for one pool. Zero fields take
// their defaults (see withDefaults); all workers must use the same Config.
type Config struct {
	// Kind is KindTabular or KindText.
	Kind string
	// Schema is the pool's schema; nil means DefaultSchema(Kind).
	Schema *Schema
	// K is the k of the KNN classifier whose Shapley values are the data
	// value (default DefaultK).
	K int
	// TextDims is the number of hashed 3-gram buckets text records are
	// featurised into (default DefaultTextDims, at most MaxTextDims).
	TextDims int
	// Weights weigh validity, uniqueness and value in the score (default
	// DefaultWeights() when all three are zero; otherwise they must sum to
	// 10000).
	Weights Weights
	// DupThresholdPPM is the estimated Jaccard similarity at or above which
	// a record is a near-duplicate (default DefaultDupThresholdPPM).
	DupThresholdPPM uint32
	// MinScorePPM is the lowest score an accepted contribution may have.
	MinScorePPM uint32
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.TextDims == 0 {
		c.TextDims = DefaultTextDims
	}
	if c.Weights == (Weights{}) {
		c.Weights = DefaultWeights()
	}
	if c.DupThresholdPPM == 0 {
		c.DupThresholdPPM = DefaultDupThresholdPPM
	}
	return c
}

// Validate checks c once its zero fields take their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Kind != KindTabular && c.Kind != KindText {
		return fmt.Errorf("pdv: config: unknown kind %q: use %q or %q", c.Kind, KindTabular, KindText)
	}
	if c.Schema != nil && c.Schema.kind != c.Kind {
		return fmt.Errorf("pdv: config: schema was parsed for kind %q, not %q: parse it with the pool's kind", c.Schema.kind, c.Kind)
	}
	if c.K < 1 {
		return fmt.Errorf("pdv: config: K is %d: use a positive k", c.K)
	}
	if c.TextDims < 1 || c.TextDims > MaxTextDims {
		return fmt.Errorf("pdv: config: TextDims is %d: use 1 to %d", c.TextDims, MaxTextDims)
	}
	w := c.Weights
	if uint64(w.Validity)+uint64(w.Uniqueness)+uint64(w.Value) != 10000 {
		return fmt.Errorf("pdv: config: weights %d+%d+%d do not sum to 10000 basis points", w.Validity, w.Uniqueness, w.Value)
	}
	if c.DupThresholdPPM > PPM {
		return fmt.Errorf("pdv: config: DupThresholdPPM %d is above %d", c.DupThresholdPPM, PPM)
	}
	if c.MinScorePPM > PPM {
		return fmt.Errorf("pdv: config: MinScorePPM %d is above %d", c.MinScorePPM, PPM)
	}
	return nil
}

// Record is one valid line of a contribution: its fixed-point features (in
// units of 1/FeatureScale), its label, and the MinHash signature of its
// content (tabular: TabularContent of the features and label; text: the
// text's bytes).
type Record struct {
	Features []int64
	Label    int64
	Sig      Signature
}

// ParseReport counts the lines of a contribution. Lines counts the
// non-blank lines (blank lines are skipped and not counted, but line
// numbers in Errors are physical line numbers); Errors holds the first
// MaxReportedErrors reasons, such as "line 12: features[3]: above maximum 16".
type ParseReport struct {
	Lines, Valid int
	Errors       []string
}

// TabularContent returns the canonical content of a tabular record, whose
// shingles its Signature summarises: the features in FormatFixed form
// separated by commas, a semicolon, and the label in decimal ("5.1,3.5,1.4,0.2;0").
func TabularContent(features []int64, label int64) []byte {
	return appendTabularContent(nil, features, label)
}

func appendTabularContent(b []byte, features []int64, label int64) []byte {
	for i, f := range features {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFixed(b, f)
	}
	b = append(b, ';')
	return strconv.AppendInt(b, label, 10)
}

// TextFeatures featurises a text into dims hashed 3-gram counts: the
// text's bytes with ASCII letters lower-cased, every 3-byte window hashed
// with 64-bit FNV-1a into bucket h mod dims, each count stored as
// count·FeatureScale and saturating at MaxFeature. dims below 1 is treated
// as 1.
func TextFeatures(text string, dims int) []int64 {
	if dims < 1 {
		dims = 1
	}
	f := make([]int64, dims)
	var w [3]byte
	for i := 0; i+3 <= len(text); i++ {
		for j := range 3 {
			c := text[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			w[j] = c
		}
		k := fnv1a(w[:]) % uint64(dims)
		if f[k] < MaxFeature {
			f[k] += FeatureScale
		}
	}
	return f
}

// Parse reads a contribution as JSON Lines from r, one line at a time (lines
// are not kept, only the valid records), checks every line against
// cfg.Schema, featurises the valid ones and computes their signatures. An
// invalid line is counted and reported in the ParseReport, not returned as
// an error; Parse returns an error only for a bad Config or a failed read.
func Parse(cfg Config, r io.Reader) ([]Record, ParseReport, error) {
	var rep ParseReport
	if err := cfg.Validate(); err != nil {
		return nil, rep, err
	}
	c := cfg.withDefaults()
	schema := c.Schema
	if schema == nil {
		schema, _ = DefaultSchema(c.Kind)
	}
	p := lineParser{schema: schema, dims: c.TextDims}
	br := bufio.NewReaderSize(r, 64<<10)
	var recs []Record
	var line []byte
	// Signatures are computed in batches, in parallel: each depends only on
	// its own record's content, so the result does not depend on scheduling.
	var pending [][]byte // contents of recs[len(recs)-len(pending):]
	pendingBytes := 0
	workers := runtime.GOMAXPROCS(0)
	flush := func() {
		signBatch(recs[len(recs)-len(pending):], pending, workers)
		pending = pending[:0]
		pendingBytes = 0
	}
	for lineNo := 1; ; lineNo++ {
		var tooLong, eof bool
		var err error
		line, tooLong, eof, err = readLine(br, line[:0])
		if err != nil {
			return nil, rep, fmt.Errorf("pdv: reading line %d of the contribution: %w", lineNo, err)
		}
		if eof && len(line) == 0 && !tooLong {
			break
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			if eof {
				break
			}
			continue
		}
		rep.Lines++
		var rec Record
		var content []byte
		var reason string
		if tooLong {
			reason = fmt.Sprintf("longer than %d bytes", MaxLineBytes)
		} else {
			rec, content, reason = p.parse(line)
		}
		if reason != "" {
			if len(rep.Errors) < MaxReportedErrors {
				rep.Errors = append(rep.Errors, fmt.Sprintf("line %d: %s", lineNo, reason))
			}
		} else {
			recs = append(recs, rec)
			rep.Valid++
			pending = append(pending, content)
			pendingBytes += len(content)
			if len(pending) >= signBatchRecords || pendingBytes >= signBatchBytes {
				flush()
			}
		}
		if eof {
			break
		}
	}
	flush()
	return recs, rep, nil
}

// Batch limits of the parallel signature computation in Parse.
const (
	signBatchRecords = 1024
	signBatchBytes   = 8 << 20
)

// signBatch sets recs[i].Sig to the MinHash of contents[i], spreading the
// records over up to workers goroutines in contiguous ranges.
func signBatch(recs []Record, contents [][]byte, workers int) {
	workers = max(1, min(workers, len(recs)/64))
	var wg sync.WaitGroup
	per := (len(recs) + workers - 1) / workers
	for lo := 0; lo < len(recs); lo += per {
		hi := min(lo+per, len(recs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []uint64
			for i := lo; i < hi; i++ {
				recs[i].Sig = minHashBuf(contents[i], &buf)
			}
		}()
	}
	wg.Wait()
}

// readLine appends the next line of br (without its newline) to buf. A line
// longer than MaxLineBytes is consumed but not kept (tooLong). eof is true
// when the input ended at or within this line.
func readLine(br *bufio.Reader, buf []byte) (line []byte, tooLong, eof bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxLineBytes+1 {
				tooLong = true
				buf = buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf, []byte{'\n'}), tooLong, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return buf, tooLong, true, nil
		default:
			return nil, false, false, err
		}
	}
}

// lineParser checks and featurises single lines.
type lineParser struct {
	schema *Schema
	dims   int
}

// parse returns the record of a line, without its signature, and the
// content the signature is computed from; or the reason the line is invalid.
func (p *lineParser) parse(line []byte) (Record, []byte, string) {
	if !json.Valid(line) {
		return Record{}, nil, "not valid JSON"
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	s := p.schema
	tok, err := dec.Token()
	if err != nil {
		return Record{}, nil, "not valid JSON"
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Record{}, nil, "not a JSON object"
	}
	var rec Record
	var text string
	var haveFeatures, haveLabel, haveText bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Record{}, nil, "not valid JSON"
		}
		key, _ := tok.(string)
		switch {
		case key == "features" && s.kind == KindTabular:
			if haveFeatures {
				return Record{}, nil, `duplicate property "features"`
			}
			haveFeatures = true
			f, reason := p.readFeatures(dec)
			if reason != "" {
				return Record{}, nil, reason
			}
			rec.Features = f
		case key == "label":
			if haveLabel {
				return Record{}, nil, `duplicate property "label"`
			}
			haveLabel = true
			tok, err := dec.Token()
			if err != nil {
				return Record{}, nil, "not valid JSON"
			}
			n, ok := tok.(json.Number)
			if !ok {
				return Record{}, nil, "label: expected an integer"
			}
			v, err := parseInteger(string(n))
			switch {
			case errors.Is(err, ErrNotInteger):
				return Record{}, nil, "label: not an integer"
			case err != nil:
				return Record{}, nil, "label: out of the int64 range"
			}
			if err := s.checkLabel(v); err != nil {
				return Record{}, nil, err.Error()
			}
			rec.Label = v
		case key == "text" && s.kind == KindText:
			if haveText {
				return Record{}, nil, `duplicate property "text"`
			}
			haveText = true
			tok, err := dec.Token()
			if err != nil {
				return Record{}, nil, "not valid JSON"
			}
			t, ok := tok.(string)
			if !ok {
				return Record{}, nil, "text: expected a string"
			}
			if err := s.checkText(t); err != nil {
				return Record{}, nil, err.Error()
			}
			text = t
		default:
			if !s.additional {
				return Record{}, nil, fmt.Sprintf("unexpected property %q", key)
			}
			if err := skipValue(dec); err != nil {
				return Record{}, nil, "not valid JSON"
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Record{}, nil, "not valid JSON"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Record{}, nil, "data after the JSON object"
	}
	for _, f := range fieldsOf(s.kind) {
		have := haveLabel
		switch f {
		case "features":
			have = haveFeatures
		case "text":
			have = haveText
		}
		if !have {
			return Record{}, nil, fmt.Sprintf("missing required property %q", f)
		}
	}
	if s.kind == KindText {
		rec.Features = TextFeatures(text, p.dims)
		return rec, []byte(text), ""
	}
	return rec, appendTabularContent(nil, rec.Features, rec.Label), ""
}

// readFeatures reads the features array.
func (p *lineParser) readFeatures(dec *json.Decoder) ([]int64, string) {
	s := p.schema
	tok, err := dec.Token()
	if err != nil {
		return nil, "not valid JSON"
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, "features: expected an array"
	}
	var f []int64
	if s.maxItems >= 0 {
		f = make([]int64, 0, min(s.maxItems, 1024))
	}
	for i := 0; dec.More(); i++ {
		if s.maxItems >= 0 && i >= s.maxItems {
			return nil, fmt.Sprintf("features: more than maxItems %d items", s.maxItems)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, "not valid JSON"
		}
		n, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Sprintf("features[%d]: expected a number", i)
		}
		d, err := parseDecimal(string(n))
		if err != nil {
			return nil, fmt.Sprintf("features[%d]: expected a number", i)
		}
		v, err := d.scaled(featureDecimals, uint64(MaxFeature))
		if err != nil {
			return nil, fmt.Sprintf("features[%d]: magnitude above the supported bound %s", i, FormatFixed(MaxFeature))
		}
		if err := s.checkItem(i, v, d.isInteger()); err != nil {
			return nil, err.Error()
		}
		f = append(f, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, "not valid JSON"
	}
	if err := s.checkItemCount(len(f)); err != nil {
		return nil, err.Error()
	}
	return f, ""
}

// skipValue consumes one JSON value from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
