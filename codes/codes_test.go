package codes_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/codes"
)

var errThing = codes.Register("codestest", 2, "thing went wrong")

func TestWrapAndABCI(t *testing.T) {
	err := errThing.Wrapf("widget %d is bent", 7)
	if !errors.Is(err, errThing) {
		t.Fatal("wrapped error is not its kind")
	}
	space, code, log := codes.ABCI(err)
	if space != "codestest" || code != 2 || log != "codestest: widget 7 is bent" {
		t.Fatalf("ABCI = %q %d %q", space, code, log)
	}
	ann := codes.Annotate(err, "message 1: ")
	if !errors.Is(ann, errThing) || ann.Error() != "codestest: message 1: widget 7 is bent" {
		t.Fatalf("annotated: %v", ann)
	}
	if got := codes.Annotate(errThing, "m: ").Error(); got != "codestest: m: thing went wrong" {
		t.Fatalf("annotated bare: %q", got)
	}
	space, code, log = codes.ABCI(fmt.Errorf("disk on fire"))
	if space != "app" || code != codes.Internal.Code || log != "app: internal error: disk on fire" {
		t.Fatalf("unregistered error: %q %d %q", space, code, log)
	}
	if _, code, _ := codes.ABCI(nil); code != codes.OK {
		t.Fatal("nil is not OK")
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate code registered")
		}
	}()
	codes.Register("codestest", 2, "again")
}

func TestAllSorted(t *testing.T) {
	all := codes.All()
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Codespace > b.Codespace || (a.Codespace == b.Codespace && a.Code >= b.Code) {
			t.Fatalf("not sorted at %d: %v %v", i, a, b)
		}
	}
}
