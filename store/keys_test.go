package store

import (
	"bytes"
	"slices"
	"testing"
)

func TestKeyHelpers(t *testing.T) {
	if got := Key([]byte("p/"), []byte("a"), EncodeUint64(7)); !bytes.Equal(got, append([]byte("p/a"), 0, 0, 0, 0, 0, 0, 0, 7)) {
		t.Fatalf("Key = %q", got)
	}
	prefix := []byte("x/")
	kv := NewMemTree().Working()
	for _, id := range []uint64{3, 1, 2} {
		kv.Set(Key(prefix, EncodeUint64(id)), []byte{1})
	}
	kv.Set([]byte("y/other"), []byte{1})
	if ids := IDsUnder(kv, prefix); !slices.Equal(ids, []uint64{1, 2, 3}) {
		t.Fatalf("IDsUnder = %v, want 1 2 3", ids)
	}
	keys := Keys(kv, prefix, PrefixEnd(prefix))
	for _, k := range keys { // copies: deleting while holding them is safe
		kv.Delete(k)
	}
	if len(keys) != 3 || len(IDsUnder(kv, prefix)) != 0 || kv.Get([]byte("y/other")) == nil {
		t.Fatalf("Keys gave %d keys; after deleting them %v remain", len(keys), IDsUnder(kv, prefix))
	}
}
