package ml

import (
	"strings"
	"testing"
)

func TestParseHyper(t *testing.T) {
	good := []struct {
		kind      Kind
		in        string
		canonical string
	}{
		{Logistic, "", "batch=32,epochs=100,l2=0.000100,lr=0.100000,seed=1"},
		{Logistic, "epochs=30,lr=0.05,l2=0.0001,seed=7", "batch=32,epochs=30,l2=0.000100,lr=0.050000,seed=7"},
		{Logistic, " lr = 3 , batch=1 ", "batch=1,epochs=100,l2=0.000100,lr=3.000000,seed=1"},
		{Logistic, "l2=0,lr=0.000001,epochs=500,batch=1024", "batch=1024,epochs=500,l2=0.000000,lr=0.000001,seed=1"},
		{Logistic, "seed=18446744073709551615", "batch=32,epochs=100,l2=0.000100,lr=0.100000,seed=18446744073709551615"},
		{MLP, "", "batch=32,epochs=100,hidden=32,l2=0.000100,lr=0.050000,seed=1"},
		{MLP, "hidden=256,lr=10,l2=1.0", "batch=32,epochs=100,hidden=256,l2=1.000000,lr=10.000000,seed=1"},
		{KNN, "", "k=5"},
		{KNN, "k=64", "k=64"},
		{KNN, "k=01", "k=1"},
	}
	for _, c := range good {
		h, err := ParseHyper(c.kind, c.in)
		if err != nil {
			t.Errorf("ParseHyper(%s, %q): %v", c.kind, c.in, err)
			continue
		}
		if got := h.Canonical(); got != c.canonical {
			t.Errorf("ParseHyper(%s, %q).Canonical() = %q, want %q", c.kind, c.in, got, c.canonical)
		}
		again, err := ParseHyper(c.kind, h.Canonical())
		if err != nil || again != h {
			t.Errorf("canonical form %q does not parse back to the same value: %+v, %v", h.Canonical(), again, err)
		}
		if h.Kind() != c.kind {
			t.Errorf("Kind() = %q", h.Kind())
		}
	}
	bad := []struct {
		kind Kind
		in   string
		want string // part of the error
	}{
		{"svm", "", "unknown model kind"},
		{Logistic, "hidden=3", "not used by kind"},
		{Logistic, "k=3", "not used by kind"},
		{KNN, "epochs=3", "not used by kind"},
		{KNN, "seed=3", "not used by kind"},
		{Logistic, "foo=1", "not used by kind"},
		{Logistic, "epochs=0", "epochs is 0"},
		{Logistic, "epochs=501", "epochs is 501"},
		{Logistic, "epochs=-1", "small unsigned integer"},
		{Logistic, "epochs=1e2", "small unsigned integer"},
		{Logistic, "epochs=9999999999", "small unsigned integer"},
		{Logistic, "lr=0", "lr is 0.000000"},
		{Logistic, "lr=10.000001", "lr is 10.000001"},
		{Logistic, "lr=0.0000001", "six decimals"},
		{Logistic, "lr=-0.1", "plain decimal"},
		{Logistic, "lr=.5", "plain decimal"},
		{Logistic, "lr=1.", "plain decimal"},
		{Logistic, "lr=1e-3", "plain decimal"},
		{Logistic, "lr=NaN", "plain decimal"},
		{Logistic, "l2=1.5", "l2 is 1.500000"},
		{Logistic, "batch=0", "batch is 0"},
		{Logistic, "batch=1025", "batch is 1025"},
		{Logistic, "seed=18446744073709551616", "below 2^64"},
		{Logistic, "seed=-1", "unsigned integer"},
		{MLP, "hidden=0", "hidden is 0"},
		{MLP, "hidden=257", "hidden is 257"},
		{KNN, "k=0", "k is 0"},
		{KNN, "k=65", "k is 65"},
		{KNN, "k=5,k=5", "given twice"},
		{KNN, "k=5,", "not key=value"},
		{KNN, "k", "not key=value"},
		{KNN, "k=", "not key=value"},
		{KNN, "=5", "not key=value"},
	}
	for _, c := range bad {
		_, err := ParseHyper(c.kind, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseHyper(%s, %q) = %v, want an error containing %q", c.kind, c.in, err, c.want)
		}
	}
}

// TestHyperCheck covers hand-built Hyper values passed to Train.
func TestHyperCheck(t *testing.T) {
	h := mustHyper(t, Logistic, "")
	if err := h.check(MLP); err == nil {
		t.Error("logistic hyper-parameters accepted for an MLP")
	}
	if err := (Hyper{}).check(Logistic); err == nil {
		t.Error("zero Hyper accepted")
	}
	h.Epochs = 1000
	if err := h.check(Logistic); err == nil {
		t.Error("epochs 1000 accepted")
	}
	k := mustHyper(t, KNN, "")
	k.Seed = 3
	if err := k.check(KNN); err == nil {
		t.Error("KNN with a seed accepted")
	}
}
