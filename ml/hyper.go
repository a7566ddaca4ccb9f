package ml

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind names a model kind.
type Kind string

// The model kinds.
const (
	// Logistic is multinomial (softmax) logistic regression.
	Logistic Kind = "logistic"
	// MLP is a perceptron with one ReLU hidden layer and a softmax output.
	MLP Kind = "mlp"
	// KNN is the k-nearest-neighbours classifier.
	KNN Kind = "knn"
)

// Bounds of the hyper-parameters. They keep training time and model size
// reasonable and the fixed-point arithmetic within int64.
const (
	// MaxEpochs is the largest number of training epochs.
	MaxEpochs = 500
	// MaxBatch is the largest mini-batch size.
	MaxBatch = 1024
	// MaxHidden is the largest number of hidden units of an MLP.
	MaxHidden = 256
	// MaxK is the largest k of a KNN model.
	MaxK = 64
	// MaxLR is the largest learning rate, in millionths (10.0).
	MaxLR = 10 * micro
	// MaxL2 is the largest L2 weight decay, in millionths (1.0).
	MaxL2 = micro
)

// Hyper holds the hyper-parameters of one kind of model. Build it with
// ParseHyper, which fills the defaults; fields that the kind does not use
// are zero. LR and L2 are decimals in millionths (LR 50000 is 0.05).
//
// Keys by kind, with defaults and bounds:
//
//	logistic: epochs=100 (1..500), lr=0.1 (0.000001..10), l2=0.0001 (0..1), batch=32 (1..1024), seed=1
//	mlp:      the same, with lr=0.05, plus hidden=32 (1..256)
//	knn:      k=5 (1..64)
//
// seed is any unsigned 64-bit integer.
type Hyper struct {
	kind Kind
	// Epochs is the number of passes over the training set.
	Epochs int
	// LR is the learning rate in millionths.
	LR int64
	// L2 is the L2 weight decay in millionths.
	L2 int64
	// Batch is the mini-batch size.
	Batch int
	// Hidden is the number of hidden units (MLP only).
	Hidden int
	// K is the number of neighbours (KNN only).
	K int
	// Seed seeds the example order and the MLP's initial weights.
	Seed uint64
}

// keysOf returns the sorted hyper-parameter keys of a kind.
func keysOf(kind Kind) ([]string, error) {
	switch kind {
	case Logistic:
		return []string{"batch", "epochs", "l2", "lr", "seed"}, nil
	case MLP:
		return []string{"batch", "epochs", "hidden", "l2", "lr", "seed"}, nil
	case KNN:
		return []string{"k"}, nil
	}
	return nil, fmt.Errorf("ml: unknown model kind %q: use %q, %q or %q", kind, Logistic, MLP, KNN)
}

// defaultHyper returns the defaults of a kind.
func defaultHyper(kind Kind) Hyper {
	switch kind {
	case Logistic:
		return Hyper{kind: kind, Epochs: 100, LR: 100_000, L2: 100, Batch: 32, Seed: 1}
	case MLP:
		return Hyper{kind: kind, Epochs: 100, LR: 50_000, L2: 100, Batch: 32, Hidden: 32, Seed: 1}
	default:
		return Hyper{kind: kind, K: 5}
	}
}

// ParseHyper parses comma-separated key=value hyper-parameters for a kind,
// such as "epochs=30,lr=0.05,l2=0.0001,seed=7", and fills the keys not given
// with their defaults (see Hyper). Spaces around keys and values are
// ignored; the empty string gives all defaults. Decimals are parsed exactly
// (at most six decimals, no exponent, no sign). Unknown keys, keys the kind
// does not use, repeated keys and out-of-range values are errors.
func ParseHyper(kind Kind, s string) (Hyper, error) {
	keys, err := keysOf(kind)
	if err != nil {
		return Hyper{}, err
	}
	h := defaultHyper(kind)
	if strings.TrimSpace(s) == "" {
		return h, nil
	}
	seen := make([]bool, len(keys))
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return Hyper{}, fmt.Errorf("ml: hyper-parameters %q: %q is not key=value: separate key=value pairs with commas", s, part)
		}
		idx := -1
		for i, kk := range keys {
			if kk == k {
				idx = i
			}
		}
		if idx < 0 {
			return Hyper{}, fmt.Errorf("ml: hyper-parameters: key %q is not used by kind %q: use only %s", k, kind, strings.Join(keys, ", "))
		}
		if seen[idx] {
			return Hyper{}, fmt.Errorf("ml: hyper-parameters: key %q is given twice: give it once", k)
		}
		seen[idx] = true
		if err := h.set(k, v); err != nil {
			return Hyper{}, fmt.Errorf("ml: hyper-parameters: %w", err)
		}
	}
	if err := h.check(kind); err != nil {
		return Hyper{}, err
	}
	return h, nil
}

// set parses the value of one key into h.
func (h *Hyper) set(k, v string) error {
	switch k {
	case "seed":
		if !allDigits(v) {
			return fmt.Errorf("seed %q: use an unsigned integer", v)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("seed %q: use an integer below 2^64", v)
		}
		h.Seed = n
	case "lr", "l2":
		n, err := parseMicro(v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", k, v, err)
		}
		if k == "lr" {
			h.LR = n
		} else {
			h.L2 = n
		}
	default:
		if !allDigits(v) || len(v) > 9 {
			return fmt.Errorf("%s %q: use a small unsigned integer", k, v)
		}
		n, _ := strconv.Atoi(v) // nine digits always parse
		switch k {
		case "epochs":
			h.Epochs = n
		case "batch":
			h.Batch = n
		case "hidden":
			h.Hidden = n
		case "k":
			h.K = n
		}
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseMicro parses an unsigned decimal with at most six decimals ("0.05",
// "3", "1.5") into millionths, without floating point.
func parseMicro(s string) (int64, error) {
	ip, fp, hasPoint := strings.Cut(s, ".")
	if !allDigits(ip) || (hasPoint && !allDigits(fp)) {
		return 0, fmt.Errorf("use a plain decimal such as 0.05")
	}
	if len(fp) > 6 {
		return 0, fmt.Errorf("use at most six decimals")
	}
	if len(ip) > 9 {
		return 0, fmt.Errorf("value too large")
	}
	n, _ := strconv.ParseInt(ip, 10, 64)
	f := int64(0)
	if fp != "" {
		f, _ = strconv.ParseInt(fp, 10, 64)
		for i := len(fp); i < 6; i++ {
			f *= 10
		}
	}
	return n*micro + f, nil
}

// formatMicro renders millionths with exactly six decimals ("0.050000").
func formatMicro(v int64) string {
	frac := strconv.FormatInt(v%micro, 10)
	return strconv.FormatInt(v/micro, 10) + "." + strings.Repeat("0", 6-len(frac)) + frac
}

// check validates h for kind: the kind matches, the used values are in
// range and the unused ones are zero.
func (h Hyper) check(kind Kind) error {
	if _, err := keysOf(kind); err != nil {
		return err
	}
	if h.kind != kind {
		return fmt.Errorf("ml: hyper-parameters are for kind %q, not %q: build them with ParseHyper(%q, ...)", h.kind, kind, kind)
	}
	rng := func(name string, v, lo, hi int64) error {
		if v < lo || v > hi {
			return fmt.Errorf("ml: hyper-parameter %s is %d: use %d to %d", name, v, lo, hi)
		}
		return nil
	}
	dec := func(name string, v, lo, hi int64) error {
		if v < lo || v > hi {
			return fmt.Errorf("ml: hyper-parameter %s is %s: use %s to %s", name, formatMicro(max(v, 0)), formatMicro(lo), formatMicro(hi))
		}
		return nil
	}
	var errs []error
	switch kind {
	case Logistic, MLP:
		errs = append(errs,
			rng("epochs", int64(h.Epochs), 1, MaxEpochs),
			dec("lr", h.LR, 1, MaxLR),
			dec("l2", h.L2, 0, MaxL2),
			rng("batch", int64(h.Batch), 1, MaxBatch))
		if kind == MLP {
			errs = append(errs, rng("hidden", int64(h.Hidden), 1, MaxHidden))
		} else if h.Hidden != 0 {
			errs = append(errs, fmt.Errorf("ml: hyper-parameter hidden is not used by kind %q: leave it 0", kind))
		}
		if h.K != 0 {
			errs = append(errs, fmt.Errorf("ml: hyper-parameter k is not used by kind %q: leave it 0", kind))
		}
	case KNN:
		errs = append(errs, rng("k", int64(h.K), 1, MaxK))
		if h.Epochs != 0 || h.LR != 0 || h.L2 != 0 || h.Batch != 0 || h.Hidden != 0 || h.Seed != 0 {
			errs = append(errs, fmt.Errorf("ml: kind %q uses only k: leave the other hyper-parameters 0", kind))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Kind returns the model kind the hyper-parameters are for.
func (h Hyper) Kind() Kind { return h.kind }

// Canonical renders the hyper-parameters in the normalized form the chain
// stores: every key the kind uses, sorted, as key=value separated by
// commas, decimals with exactly six decimals
// ("batch=32,epochs=100,l2=0.000100,lr=0.100000,seed=1"). ParseHyper of the
// result gives h back.
func (h Hyper) Canonical() string {
	keys, err := keysOf(h.kind)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		switch k {
		case "batch":
			b.WriteString(strconv.Itoa(h.Batch))
		case "epochs":
			b.WriteString(strconv.Itoa(h.Epochs))
		case "hidden":
			b.WriteString(strconv.Itoa(h.Hidden))
		case "k":
			b.WriteString(strconv.Itoa(h.K))
		case "l2":
			b.WriteString(formatMicro(h.L2))
		case "lr":
			b.WriteString(formatMicro(h.LR))
		case "seed":
			b.WriteString(strconv.FormatUint(h.Seed, 10))
		}
	}
	return b.String()
}
