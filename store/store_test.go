package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lazchain/lazchain/store"
)

// collect reads a range through an iterator.
func collect(kv store.KV, start, end []byte) [][2]string {
	var out [][2]string
	store.Each(kv, start, end, func(k, v []byte) bool {
		out = append(out, [2]string{string(k), string(v)})
		return true
	})
	return out
}

// reference computes the same range from a plain map.
func reference(m map[string]string, start, end []byte) [][2]string {
	var keys []string
	for k := range m {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// Random writes and deletes through two stacked caches over a tree read the
// same, key by key and range by range, as a plain map; and writing the
// caches through leaves the tree equal to the map.
func TestCacheMatchesMap(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		tree := store.NewMemTree()
		model := map[string]string{}
		key := func() []byte { return []byte(fmt.Sprintf("k%02d", r.IntN(40))) }
		// committed base
		for i := 0; i < 20; i++ {
			k, v := key(), fmt.Sprint(r.Int())
			tree.Working().Set(k, []byte(v))
			model[string(k)] = v
		}
		if _, _, err := tree.Commit(); err != nil {
			t.Fatal(err)
		}
		outer := store.NewCache(tree.Latest())
		inner := store.NewCache(outer)
		for i := 0; i < 60; i++ {
			k := key()
			if r.IntN(3) == 0 {
				inner.Delete(k)
				delete(model, string(k))
			} else {
				v := fmt.Sprint(r.Int())
				inner.Set(k, []byte(v))
				model[string(k)] = v
			}
			if got, want := inner.Get(k), model[string(k)]; string(got) != want || (got == nil) != (want == "") {
				t.Fatalf("seed %d: get %s = %q, want %q", seed, k, got, want)
			}
			var start, end []byte
			if r.IntN(2) == 0 {
				start = key()
			}
			if r.IntN(2) == 0 {
				end = key()
			}
			if got, want := collect(inner, start, end), reference(model, start, end); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d: range [%s,%s): %v, want %v", seed, start, end, got, want)
			}
		}
		inner.Write()
		if inner.Len() != 0 {
			t.Fatal("write left entries behind")
		}
		work := store.NewCache(tree.Working())
		// move outer's writes onto the working tree
		store.Each(outer, nil, nil, func(k, v []byte) bool { work.Set(k, v); return true })
		for _, kv := range collect(tree.Latest(), nil, nil) {
			if _, ok := model[kv[0]]; !ok {
				work.Delete([]byte(kv[0]))
			}
		}
		work.Write()
		if got, want := collect(tree.Working(), nil, nil), reference(model, nil, nil); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: tree %v, want %v", seed, got, want)
		}
	}
}

func TestPrefixIsolation(t *testing.T) {
	c := store.NewCache(store.NewMemTree().Working())
	a, b := store.Prefix(c, "a/"), store.Prefix(c, "ab/")
	a.Set([]byte("x"), []byte("1"))
	b.Set([]byte("x"), []byte("2"))
	c.Set([]byte("a0"), []byte("outside"))
	if string(a.Get([]byte("x"))) != "1" || string(b.Get([]byte("x"))) != "2" {
		t.Fatal("prefixes overlap")
	}
	if got := collect(a, nil, nil); len(got) != 1 || got[0][0] != "x" {
		t.Fatalf("a/ sees %v", got)
	}
	if string(c.Get([]byte("a/x"))) != "1" {
		t.Fatal("prefix not applied")
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte("ab"), []byte("ac")},
		{[]byte{0x01, 0xff}, []byte{0x02}},
		{[]byte{0xff, 0xff}, nil},
	} {
		if got := store.PrefixEnd(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", c.in, got, c.want)
		}
	}
}

func TestGasMeter(t *testing.T) {
	g := store.NewGasMeter(store.GasReadFlat + 10)
	kv := store.Metered(store.NewCache(store.NewMemTree().Working()), g)
	kv.Get([]byte("k")) // 1000 + 3*1
	if g.Used() != store.GasReadFlat+store.GasReadPerByte {
		t.Fatalf("used %d", g.Used())
	}
	defer func() {
		oog, ok := recover().(*store.OutOfGas)
		if !ok || oog.Limit != store.GasReadFlat+10 || oog.Wanted <= oog.Limit {
			t.Fatalf("recovered %v", oog)
		}
	}()
	kv.Set([]byte("k"), []byte("v"))
	t.Fatal("write past the limit did not panic")
}

func TestSnapshotIsImmutable(t *testing.T) {
	tree := store.NewMemTree()
	tree.Working().Set([]byte("k"), []byte("v1"))
	tree.Commit()
	snap := tree.Latest()
	tree.Working().Set([]byte("k"), []byte("v2"))
	tree.Commit()
	if string(snap.Get([]byte("k"))) != "v1" || string(tree.Latest().Get([]byte("k"))) != "v2" {
		t.Fatal("snapshot saw a later write")
	}
	old, err := tree.At(1)
	if err != nil || string(old.Get([]byte("k"))) != "v1" {
		t.Fatalf("version 1: %v", err)
	}
	if _, err := tree.At(5); err == nil {
		t.Fatal("future version given")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("write to a snapshot did not panic")
		}
	}()
	snap.Set([]byte("k"), []byte("x"))
}

func TestProofs(t *testing.T) {
	tree := store.NewMemTree()
	for i := 0; i < 100; i++ {
		tree.Working().Set([]byte(fmt.Sprintf("key%03d", i*2)), []byte(fmt.Sprint(i)))
	}
	root, _, err := tree.Commit()
	if err != nil {
		t.Fatal(err)
	}
	snap := tree.Latest()

	v, p, err := snap.Prove([]byte("key010"))
	if err != nil || string(v) != "5" {
		t.Fatalf("prove: %q %v", v, err)
	}
	if err := store.VerifyProof(root, []byte("key010"), v, p); err != nil {
		t.Fatalf("membership: %v", err)
	}
	if err := store.VerifyProof(root, []byte("key010"), []byte("6"), p); err == nil {
		t.Fatal("proof verified a wrong value")
	}
	other := append([]byte(nil), root...)
	other[0] ^= 1
	if err := store.VerifyProof(other, []byte("key010"), v, p); err == nil {
		t.Fatal("proof verified against a wrong root")
	}

	v, p, err = snap.Prove([]byte("key011"))
	if err != nil || v != nil {
		t.Fatalf("absent key: %q %v", v, err)
	}
	if err := store.VerifyProof(root, []byte("key011"), nil, p); err != nil {
		t.Fatalf("non-membership: %v", err)
	}
	if err := store.VerifyProof(root, []byte("key011"), []byte("x"), p); err == nil {
		t.Fatal("absence proof verified a membership")
	}
	// a membership proof does not prove absence of its key
	_, mp, _ := snap.Prove([]byte("key012"))
	if err := store.VerifyProof(root, []byte("key012"), nil, mp); err == nil {
		t.Fatal("membership proof accepted as absence")
	}
}

func TestEmptyValuesAreRefused(t *testing.T) {
	for name, kv := range map[string]store.KV{"cache": store.NewCache(store.NewMemTree().Working()), "tree": store.NewMemTree().Working()} {
		for _, v := range [][]byte{nil, {}} {
			func() {
				defer func() {
					if r := recover(); r == nil {
						t.Errorf("%s: Set(%q, %v) did not panic: an empty value would read back as absent", name, "k", v)
					}
				}()
				kv.Set([]byte("k"), v)
			}()
		}
	}
}
