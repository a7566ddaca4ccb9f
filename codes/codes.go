package codes

import (
	"errors"
	"fmt"
	"sort"
	"sync"
)

// OK is the code of success.
const OK uint32 = 0

// Error is a registered failure: a codespace (the module), a code unique in
// it, and a short description of the class of failure.
type Error struct {
	Codespace string
	Code      uint32
	Desc      string
}

func (e *Error) Error() string { return e.Codespace + ": " + e.Desc }

// Wrapf returns an error that is e (for errors.Is) and reads as the given
// sentence, prefixed with the codespace.
func (e *Error) Wrapf(format string, args ...any) error {
	return &wrapped{kind: e, msg: fmt.Sprintf(format, args...)}
}

// Wrap is Wrapf without formatting.
func (e *Error) Wrap(msg string) error { return &wrapped{kind: e, msg: msg} }

type wrapped struct {
	kind *Error
	msg  string
}

func (w *wrapped) Error() string { return w.kind.Codespace + ": " + w.msg }
func (w *wrapped) Unwrap() error { return w.kind }

var (
	mu       sync.Mutex
	registry = map[string]map[uint32]*Error{}
)

// Register records a code. It panics on a duplicate, since two meanings for
// one code would mislead every client: this is a programming error caught at
// start-up.
func Register(codespace string, code uint32, desc string) *Error {
	if code == OK {
		panic(fmt.Sprintf("codes: %s: code 0 means success", codespace))
	}
	mu.Lock()
	defer mu.Unlock()
	space := registry[codespace]
	if space == nil {
		space = map[uint32]*Error{}
		registry[codespace] = space
	}
	if prev, ok := space[code]; ok {
		panic(fmt.Sprintf("codes: %s/%d registered twice (%q and %q)", codespace, code, prev.Desc, desc))
	}
	e := &Error{Codespace: codespace, Code: code, Desc: desc}
	space[code] = e
	return e
}

// Lookup finds a registered error.
func Lookup(codespace string, code uint32) (*Error, bool) {
	mu.Lock()
	defer mu.Unlock()
	e, ok := registry[codespace][code]
	return e, ok
}

// All lists every registered error, sorted by codespace and code: the table
// that documentation and clients print.
func All() []*Error {
	mu.Lock()
	defer mu.Unlock()
	var out []*Error
	for _, space := range registry {
		for _, e := range space {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Codespace != out[j].Codespace {
			return out[i].Codespace < out[j].Codespace
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Internal is returned for failures that are not the sender's fault.
var Internal = Register("app", 1, "internal error")

// ABCI splits err into what an ABCI response carries. An error that is not
// registered is reported as app/1 (internal) with its text, so nothing fails
// without a code.
func ABCI(err error) (codespace string, code uint32, log string) {
	if err == nil {
		return "", OK, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Codespace, e.Code, err.Error()
	}
	return Internal.Codespace, Internal.Code, "app: internal error: " + err.Error()
}

// Annotate prefixes the sentence of a registered error (keeping its code),
// e.g. to say which message of a tx failed. Other errors are prefixed as is.
func Annotate(err error, prefix string) error {
	var w *wrapped
	if errors.As(err, &w) && err == error(w) {
		return &wrapped{kind: w.kind, msg: prefix + w.msg}
	}
	var e *Error
	if errors.As(err, &e) {
		msg := err.Error()
		if err == error(e) {
			msg = e.Desc
		} else if len(msg) > len(e.Codespace)+2 && msg[:len(e.Codespace)+2] == e.Codespace+": " {
			msg = msg[len(e.Codespace)+2:]
		}
		return &wrapped{kind: e, msg: prefix + msg}
	}
	return fmt.Errorf("%s%w", prefix, err)
}
