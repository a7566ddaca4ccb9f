package ml

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/lazchain/lazchain/pdv"
)

// Limits of the data a model is trained on.
const (
	// MaxDims is the largest number of features (pdv.MaxTextDims).
	MaxDims = pdv.MaxTextDims
	// MaxClasses is the largest number of distinct labels.
	MaxClasses = 1024
	// MaxExamples is the largest training set.
	MaxExamples = 1 << 24
	// MaxParams bounds the number of weights of a logistic or MLP model
	// (classes·dims, or hidden·dims + classes·hidden).
	MaxParams = 1 << 23
	// MaxKNNValues bounds examples·dims of a KNN model, which stores its
	// training set.
	MaxKNNValues = 1 << 25
	// ScoreScale is the scale of the scores of Predict and Infer: parts per
	// million.
	ScoreScale = 1_000_000
)

// Example is one training or validation record: fixed-point features in
// units of 1/pdv.FeatureScale and an integer label.
type Example struct {
	Features []int64
	Label    int64
}

// Input says how Infer reads its input: PoolKind pdv.KindTabular reads
// {"features":[5.1,3.5,1.4,0.2]} with Dims numbers; pdv.KindText reads
// {"text":"..."} and featurises it with pdv.TextFeatures(text, Dims).
type Input struct {
	PoolKind string
	Dims     int
}

// Model is a trained classifier. It is immutable and safe for concurrent
// use.
type Model struct {
	kind    Kind
	hyper   Hyper
	input   Input
	classes []int64 // sorted distinct labels
	scale   scaler
	// logistic: w1 is classes×dims, b1 has one bias per class.
	// mlp: w1 is hidden×dims, b1 per hidden unit, w2 classes×hidden, b2 per
	// class. All Q16.
	w1, b1, w2, b2 []int64
	// knn: pts is examples×dims standardized features (Q16), ys the class
	// index of each example.
	pts []int64
	ys  []uint32
}

// Kind returns the model's kind.
func (m *Model) Kind() Kind { return m.kind }

// Classes returns the model's classes: the sorted distinct labels of its
// training set. Scores are in this order.
func (m *Model) Classes() []int64 { return slices.Clone(m.classes) }

// Input returns how the model reads inference input.
func (m *Model) Input() Input { return m.input }

// Hyper returns the hyper-parameters the model was trained with.
func (m *Model) Hyper() Hyper { return m.hyper }

// scaler standardizes features: mean is in feature units (rounded), std is
// floor(sqrt(variance)) in feature units, 0 for a constant dimension.
type scaler struct {
	mean, std []int64
}

// fitScaler computes the per-dimension mean and std of train. Sums of
// features are below n·2^30 < 2^63 (n ≤ MaxExamples); squared deviations
// are below (2·MaxFeature)^2 < 2^62 and are summed in 128 bits.
func fitScaler(train []Example, d int) scaler {
	n := int64(len(train))
	s := scaler{mean: make([]int64, d), std: make([]int64, d)}
	for j := range d {
		var sum int64
		for i := range train {
			sum += train[i].Features[j]
		}
		mean := divRound(sum, n)
		var hi, lo uint64
		for i := range train {
			dev := train[i].Features[j] - mean
			sq := uint64(dev * dev)
			var c uint64
			lo, c = bits.Add64(lo, sq, 0)
			hi += c
		}
		// hi < n because the sum is below n·2^62.
		v, _ := bits.Div64(hi, lo, uint64(n))
		s.mean[j] = mean
		s.std[j] = int64(isqrt(v))
	}
	return s
}

// apply writes the standardized features of x to z (Q16, within ±zMax).
// x is clamped to ±pdv.MaxFeature; missing dimensions (x shorter than z)
// count as the mean and extra ones are ignored. (x − mean) is below 2^31,
// so its shift to Q16 is below 2^47.
func (s *scaler) apply(x, z []int64) {
	for j := range z {
		if j >= len(x) || s.std[j] == 0 {
			z[j] = 0
			continue
		}
		v := clamp(x[j], -pdv.MaxFeature, pdv.MaxFeature) - s.mean[j]
		z[j] = clamp(divRound(v<<qShift, s.std[j]), -zMax, zMax)
	}
}

// Train trains a model of the given kind on train. in.PoolKind is
// pdv.KindTabular or pdv.KindText; in.Dims is the number of features (for
// tabular pools 0 means "as in the data"). It fails on an empty training
// set, a single class, examples of different lengths, features beyond
// ±pdv.MaxFeature or sizes beyond the package limits. The result depends
// only on its arguments.
func Train(kind Kind, h Hyper, in Input, train []Example) (*Model, error) {
	if err := h.check(kind); err != nil {
		return nil, fmt.Errorf("ml: train: %w", err)
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("ml: train: the training set is empty: train on at least one example of two classes")
	}
	if len(train) > MaxExamples {
		return nil, fmt.Errorf("ml: train: %d examples are more than %d: train on a subset", len(train), MaxExamples)
	}
	d := len(train[0].Features)
	switch in.PoolKind {
	case pdv.KindTabular:
		if in.Dims == 0 {
			in.Dims = d
		}
	case pdv.KindText:
		if in.Dims < 1 {
			return nil, fmt.Errorf("ml: train: text input needs Dims, the pdv.TextFeatures width: set Input.Dims")
		}
	default:
		return nil, fmt.Errorf("ml: train: unknown pool kind %q: use %q or %q", in.PoolKind, pdv.KindTabular, pdv.KindText)
	}
	if in.Dims < 1 || in.Dims > MaxDims {
		return nil, fmt.Errorf("ml: train: %d features: use 1 to %d", in.Dims, MaxDims)
	}
	for i := range train {
		if len(train[i].Features) != in.Dims {
			return nil, fmt.Errorf("ml: train: example %d has %d features, not %d: give every example the same number of features", i, len(train[i].Features), in.Dims)
		}
		for j, f := range train[i].Features {
			if f < -pdv.MaxFeature || f > pdv.MaxFeature {
				return nil, fmt.Errorf("ml: train: example %d feature %d is beyond ±%s: drop or clip the example", i, j, pdv.FormatFixed(pdv.MaxFeature))
			}
		}
	}
	classes, ys := classesOf(train)
	if len(classes) < 2 {
		return nil, fmt.Errorf("ml: train: the training set has one class only (label %d): add examples of another class", classes[0])
	}
	if len(classes) > MaxClasses {
		return nil, fmt.Errorf("ml: train: %d classes are more than %d: merge labels", len(classes), MaxClasses)
	}
	m := &Model{kind: kind, hyper: h, input: in, classes: classes}
	dims, c := int64(in.Dims), int64(len(classes))
	switch kind {
	case Logistic:
		if c*dims > MaxParams {
			return nil, fmt.Errorf("ml: train: %d classes × %d features exceed %d weights: use fewer features", c, dims, MaxParams)
		}
	case MLP:
		if int64(h.Hidden)*(dims+c) > MaxParams {
			return nil, fmt.Errorf("ml: train: %d hidden units × (%d features + %d classes) exceed %d weights: use fewer hidden units or features", h.Hidden, dims, c, MaxParams)
		}
	case KNN:
		if int64(len(train))*dims > MaxKNNValues {
			return nil, fmt.Errorf("ml: train: %d examples × %d features exceed the %d values a KNN model stores: train on a subset", len(train), dims, MaxKNNValues)
		}
	}
	m.scale = fitScaler(train, in.Dims)
	z := make([]int64, len(train)*in.Dims)
	for i := range train {
		m.scale.apply(train[i].Features, z[i*in.Dims:(i+1)*in.Dims])
	}
	switch kind {
	case Logistic:
		m.trainLogistic(z, ys)
	case MLP:
		m.trainMLP(z, ys)
	case KNN:
		m.pts, m.ys = z, ys
	}
	return m, nil
}

// classesOf returns the sorted distinct labels and each example's class
// index.
func classesOf(train []Example) ([]int64, []uint32) {
	classes := make([]int64, len(train))
	for i := range train {
		classes[i] = train[i].Label
	}
	slices.Sort(classes)
	classes = slices.Compact(classes)
	ys := make([]uint32, len(train))
	for i := range train {
		k, _ := slices.BinarySearch(classes, train[i].Label)
		ys[i] = uint32(k)
	}
	return slices.Clip(classes), ys
}

// Predict returns the predicted label of fixed-point features (units of
// 1/pdv.FeatureScale) and one score per class, in the order of Classes, in
// parts per million (ScoreScale): softmax probabilities for logistic and
// MLP models, the share of the neighbours' votes for KNN. Features are
// clamped to ±pdv.MaxFeature; a shorter vector is padded with the training
// means and a longer one truncated (Infer checks the length instead).
func (m *Model) Predict(features []int64) (label int64, scores []int64) {
	k, scores := m.predict(features, newScratch(m))
	return m.classes[k], scores
}

// scratch holds the buffers of one prediction.
type scratch struct {
	z, hidden, logits, p []int64
}

func newScratch(m *Model) *scratch {
	return &scratch{
		z:      make([]int64, m.input.Dims),
		hidden: make([]int64, m.hyper.Hidden),
		logits: make([]int64, len(m.classes)),
		p:      make([]int64, len(m.classes)),
	}
}

// predict returns the predicted class index and the ppm scores.
func (m *Model) predict(features []int64, s *scratch) (int, []int64) {
	m.scale.apply(features, s.z)
	scores := make([]int64, len(m.classes))
	if m.kind == KNN {
		return m.knnPredict(s.z, scores), scores
	}
	if m.kind == Logistic {
		m.logisticLogits(s.z, s.logits)
	} else {
		m.mlpForward(s.z, s.hidden, s.logits)
	}
	softmax(s.logits, s.p)
	for c, p := range s.p {
		scores[c] = divRound(p*ScoreScale, one30) // p ≤ 2^30: product < 2^50
	}
	return argmax(s.logits), scores
}

// Accuracy returns the share of validation examples whose label the model
// predicts, in parts per million (floor(correct·10^6/len)); 0 for an empty
// set.
func (m *Model) Accuracy(validation []Example) uint32 {
	if len(validation) == 0 {
		return 0
	}
	s := newScratch(m)
	var correct uint64
	for i := range validation {
		k, _ := m.predict(validation[i].Features, s)
		if m.classes[k] == validation[i].Label {
			correct++
		}
	}
	return uint32(correct * ScoreScale / uint64(len(validation)))
}

// update applies one gradient step to params: g = acc/(count·2^16) is the
// mean gradient in Q16 (acc is a sum of count Q32 products), plus
// l2·w when decay is set; w −= lr·g, clamped to ±wMax. g is below 2^27 and
// l2·w below 2^44, so lr·(g + l2·w/10^6) stays below 2^52.
func (m *Model) update(params, acc []int64, count int, decay bool) {
	den := int64(count) << qShift
	lr, l2 := m.hyper.LR, m.hyper.L2
	for i, w := range params {
		g := divRound(acc[i], den)
		if decay && l2 != 0 {
			g += divRound(w*l2, micro)
		}
		if g == 0 {
			continue
		}
		params[i] = clamp(w-divRound(g*lr, micro), -wMax, wMax)
	}
}
