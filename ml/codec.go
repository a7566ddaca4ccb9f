package ml

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/pdv"
)

// Binary format, version 1. All integers are big-endian; int64 values are
// 8 bytes (two's complement), counts 4 bytes.
//
//	"LZML" version(1 byte = 1) kind(1 byte: 1 logistic, 2 mlp, 3 knn)
//	hyper: u32 length + Hyper.Canonical()
//	input: pool kind (1 byte: 1 tabular, 2 text), u32 dims
//	classes: u32 count + int64 each, strictly increasing
//	scaler: dims int64 means, then dims int64 stds
//	logistic: classes×dims weights, classes biases
//	mlp: hidden×dims weights, hidden biases, classes×hidden weights, classes biases
//	knn: u32 examples, then per example a u32 class index and dims int64 features
//
// Nothing may follow. Every field is checked by Unmarshal against the same
// bounds Train guarantees, so a decoded model behaves like a trained one.
const (
	magic         = "LZML"
	formatVersion = 1
)

// Domains of the commitments.
const (
	modelDomain = "lazchain/ml/model/v1\x00"
	dataDomain  = "lazchain/ml/data/v1\x00"
)

func kindByte(k Kind) byte {
	switch k {
	case Logistic:
		return 1
	case MLP:
		return 2
	}
	return 3
}

// MarshalBinary returns the model's canonical binary form (format version
// 1, described in codec.go). Equal models give equal bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	hyper := m.hyper.Canonical()
	size := 16 + len(hyper) + 8*(len(m.classes)+2*len(m.scale.mean)+len(m.w1)+len(m.b1)+len(m.w2)+len(m.b2)+len(m.pts)) + 4*len(m.ys)
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, formatVersion, kindByte(m.kind))
	b = binary.BigEndian.AppendUint32(b, uint32(len(hyper)))
	b = append(b, hyper...)
	pool := byte(1)
	if m.input.PoolKind == pdv.KindText {
		pool = 2
	}
	b = append(b, pool)
	b = binary.BigEndian.AppendUint32(b, uint32(m.input.Dims))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.classes)))
	b = appendInts(b, m.classes)
	b = appendInts(b, m.scale.mean)
	b = appendInts(b, m.scale.std)
	switch m.kind {
	case Logistic:
		b = appendInts(appendInts(b, m.w1), m.b1)
	case MLP:
		b = appendInts(appendInts(appendInts(appendInts(b, m.w1), m.b1), m.w2), m.b2)
	case KNN:
		d := m.input.Dims
		b = binary.BigEndian.AppendUint32(b, uint32(len(m.ys)))
		for i, y := range m.ys {
			b = binary.BigEndian.AppendUint32(b, y)
			b = appendInts(b, m.pts[i*d:(i+1)*d])
		}
	}
	return b, nil
}

func appendInts(b []byte, v []int64) []byte {
	for _, x := range v {
		b = binary.BigEndian.AppendUint64(b, uint64(x))
	}
	return b
}

// reader decodes the binary form; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("truncated: %d more bytes expected, %d left", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// ints reads n int64 values, each within ±bound; it checks the length
// before allocating.
func (r *reader) ints(name string, n int, lo, hi int64) []int64 {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)/8 {
		r.fail("truncated: %s needs %d values, %d bytes left", name, n, len(r.b))
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		v := int64(binary.BigEndian.Uint64(r.b[8*i:]))
		if v < lo || v > hi {
			r.fail("%s[%d] = %d is outside [%d, %d]", name, i, v, lo, hi)
			return nil
		}
		out[i] = v
	}
	r.b = r.b[8*n:]
	return out
}

// Unmarshal decodes and validates a model in the binary form of
// MarshalBinary. It checks every field (magic, version, kind, canonical
// hyper-parameters, sizes, orders and value bounds) and that nothing
// follows, and never panics on malformed input.
func Unmarshal(b []byte) (*Model, error) {
	m, err := unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("ml: decoding a model: %w: the bytes are not a model written by MarshalBinary", err)
	}
	return m, nil
}

func unmarshal(b []byte) (*Model, error) {
	r := &reader{b: b}
	if string(r.take(len(magic))) != magic {
		return nil, errors.New("bad magic")
	}
	if v := r.u8(); v != formatVersion {
		return nil, fmt.Errorf("unsupported format version %d", v)
	}
	m := &Model{}
	switch r.u8() {
	case 1:
		m.kind = Logistic
	case 2:
		m.kind = MLP
	case 3:
		m.kind = KNN
	default:
		return nil, errors.New("unknown model kind")
	}
	hl := r.u32()
	if hl > 1024 {
		return nil, fmt.Errorf("hyper-parameters of %d bytes", hl)
	}
	hs := string(r.take(int(hl)))
	if r.err != nil {
		return nil, r.err
	}
	h, err := ParseHyper(m.kind, hs)
	if err != nil {
		return nil, err
	}
	if h.Canonical() != hs {
		return nil, fmt.Errorf("hyper-parameters %q are not canonical", hs)
	}
	m.hyper = h
	switch r.u8() {
	case 1:
		m.input.PoolKind = pdv.KindTabular
	case 2:
		m.input.PoolKind = pdv.KindText
	default:
		return nil, errors.New("unknown pool kind")
	}
	dims := r.u32()
	if r.err == nil && (dims < 1 || dims > MaxDims) {
		return nil, fmt.Errorf("%d features", dims)
	}
	d := int(dims)
	m.input.Dims = d
	nc := r.u32()
	if r.err == nil && (nc < 2 || nc > MaxClasses) {
		return nil, fmt.Errorf("%d classes", nc)
	}
	c := int(nc)
	m.classes = r.ints("classes", c, -1<<63, 1<<63-1)
	for i := 1; r.err == nil && i < c; i++ {
		if m.classes[i] <= m.classes[i-1] {
			return nil, errors.New("classes are not strictly increasing")
		}
	}
	m.scale.mean = r.ints("mean", d, -pdv.MaxFeature, pdv.MaxFeature)
	m.scale.std = r.ints("std", d, 0, 2*pdv.MaxFeature)
	switch m.kind {
	case Logistic:
		if r.err == nil && int64(c)*int64(d) > MaxParams {
			return nil, errors.New("too many weights")
		}
		m.w1 = r.ints("weights", c*d, -wMax, wMax)
		m.b1 = r.ints("biases", c, -wMax, wMax)
	case MLP:
		hd := h.Hidden
		if r.err == nil && int64(hd)*int64(d+c) > MaxParams {
			return nil, errors.New("too many weights")
		}
		m.w1 = r.ints("hidden weights", hd*d, -wMax, wMax)
		m.b1 = r.ints("hidden biases", hd, -wMax, wMax)
		m.w2 = r.ints("output weights", c*hd, -wMax, wMax)
		m.b2 = r.ints("output biases", c, -wMax, wMax)
	case KNN:
		n := r.u32()
		if r.err != nil {
			return nil, r.err
		}
		if n < 1 || int64(n)*int64(d) > MaxKNNValues {
			return nil, fmt.Errorf("%d stored examples", n)
		}
		if int64(len(r.b)) < int64(n)*(4+8*int64(d)) {
			return nil, errors.New("truncated examples")
		}
		m.ys = make([]uint32, n)
		m.pts = make([]int64, 0, int(n)*d)
		for i := range m.ys {
			m.ys[i] = r.u32()
			if r.err == nil && m.ys[i] >= nc {
				return nil, fmt.Errorf("example %d has class index %d of %d", i, m.ys[i], nc)
			}
			m.pts = append(m.pts, r.ints("example", d, -zMax, zMax)...)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d bytes after the model", len(r.b))
	}
	return m, nil
}

// Commitment returns SHA-256 over the domain "lazchain/ml/model/v1\x00"
// followed by MarshalBinary: two models with the same commitment predict
// identically.
func (m *Model) Commitment() [32]byte {
	b, _ := m.MarshalBinary() // never fails
	h := sha256.New()
	h.Write([]byte(modelDomain))
	h.Write(b)
	return [32]byte(h.Sum(nil))
}

// DataCommitment returns SHA-256 over the domain "lazchain/ml/data/v1\x00",
// the number of examples (8 bytes big-endian) and each example in order:
// its number of features (4 bytes), its features and its label (8 bytes
// each, big-endian two's complement).
func DataCommitment(train []Example) [32]byte {
	h := sha256.New()
	h.Write([]byte(dataDomain))
	var buf []byte
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(train)))
	for i := range train {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(train[i].Features)))
		buf = appendInts(buf, train[i].Features)
		buf = binary.BigEndian.AppendUint64(buf, uint64(train[i].Label))
		if len(buf) >= 32<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return [32]byte(h.Sum(nil))
}
