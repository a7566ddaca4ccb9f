package ml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/pdv"
)

// benchHyper are the hyper-parameters of the digits benchmarks.
var benchHyper = map[Kind]string{Logistic: "", MLP: "hidden=32", KNN: ""}

func benchTrain(b *testing.B, kind Kind) {
	digits := digitsSet(b)
	h := mustHyper(b, kind, benchHyper[kind])
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(kind, h, tabular, digits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainLogistic(b *testing.B) { benchTrain(b, Logistic) }
func BenchmarkTrainMLP(b *testing.B)      { benchTrain(b, MLP) }
func BenchmarkTrainKNN(b *testing.B)      { benchTrain(b, KNN) }

func benchInfer(b *testing.B, kind Kind) {
	digits := digitsSet(b)
	train, val := split(digits)
	m := mustTrain(b, kind, benchHyper[kind]+map[Kind]string{Logistic: "epochs=5", MLP: ",epochs=5", KNN: ""}[kind], tabular, train)
	parts := make([]string, len(val[0].Features))
	for i, f := range val[0].Features {
		parts[i] = pdv.FormatFixed(f)
	}
	in := []byte(fmt.Sprintf(`{"features":[%s]}`, strings.Join(parts, ",")))
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Infer(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInferLogistic(b *testing.B) { benchInfer(b, Logistic) }
func BenchmarkInferMLP(b *testing.B)      { benchInfer(b, MLP) }
func BenchmarkInferKNN(b *testing.B)      { benchInfer(b, KNN) }
