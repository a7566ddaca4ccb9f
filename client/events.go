package client

import (
	"fmt"
	"strconv"
)

// Attr is the value of the first attribute key of the first event of type
// typ in the tx's result.
func (r *TxResult) Attr(typ, key string) (string, bool) {
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

// NewID reads an id the chain assigned (an iDAO, a proposal, a class, a
// token) from the attribute key of the tx's first event of type typ.
func (r *TxResult) NewID(typ, key string) (uint64, error) {
	v, ok := r.Attr(typ, key)
	if !ok {
		return 0, fmt.Errorf("tx %s has no %s event with a %s attribute", shortHash(r.Hash), typ, key)
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tx %s: %s.%s = %q is not an id", shortHash(r.Hash), typ, key, v)
	}
	return id, nil
}
