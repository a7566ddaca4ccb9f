package dat_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

func createMsg(mod func(m *dat.MsgCreateClass)) func(e *env) proto.Message {
	return func(e *env) proto.Message {
		m := &dat.MsgCreateClass{From: admin.String(), Idao: 1, Name: "dataset", IntegrityHash: hash64, UnitDecimals: 6,
			MetadataUri: "ipfs://meta", PolicyUri: "ipfs://policy"}
		if mod != nil {
			mod(m)
		}
		return m
	}
}

// chainOf creates n classes, each the parent of the next, and returns the
// last one (depth n-1).
func chainOf(e *env, n int) uint64 {
	id := e.class()
	for i := 1; i < n; i++ {
		id = e.class(&dat.Parent{Class: id})
	}
	return id
}

// wide builds a lineage with many paths: 8 roots, 8 classes with all roots
// as parents (9 paths each), and 4 classes with those 8 as parents (73
// paths each). It returns the last 4.
func wide(e *env) []uint64 {
	var roots, mids []*dat.Parent
	for range 8 {
		roots = append(roots, &dat.Parent{Class: e.class()})
	}
	for range 8 {
		mids = append(mids, &dat.Parent{Class: e.class(roots...)})
	}
	var tops []uint64
	for range 4 {
		tops = append(tops, e.class(mids...))
	}
	return tops
}

func TestCreateClass(t *testing.T) {
	long := strings.Repeat("x", 513)
	runCases(t, nil, []tcase{
		{name: "an admin creates a class with canonical hash and services", msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Policy = &dat.ClassPolicy{AllowedServices: []string{strings.ToLower(bob.String()), alice.String(), bob.String()}, Restricted: true}
		}), check: func(t *testing.T, e *env) {
			c := e.classOf(1)
			if c.IntegrityHash != strings.ToLower(hash64) || c.Creator != admin.String() || c.Idao != 1 || c.Depth != 0 || c.LineagePaths != 1 ||
				c.CreatedHeight != startHeight || c.CreatedTime != startTime || c.Acc != "0" || c.Revenue != "0" {
				t.Fatalf("stored class %v", c)
			}
			want := []string{alice.String(), bob.String()} // sorted by bytes (alice 0x..02 < bob 0x..03), deduped
			if got := c.Policy.AllowedServices; len(got) != 2 || got[0] != want[0] || got[1] != want[1] || !c.Policy.Restricted {
				t.Fatalf("policy %v, want %v restricted", c.Policy, want)
			}
			ev := e.eventsOf("dat_class")
			if len(ev) != 1 || ev[0]["class"] != "1" || ev[0]["idao"] != "1" || ev[0]["creator"] != admin.String() {
				t.Fatalf("events %v", ev)
			}
			if id, ok := e.k.ClassIDAO(e.ctx, 1); !ok || id != 1 {
				t.Fatalf("ClassIDAO = %d, %v", id, ok)
			}
			if _, ok := e.k.ClassIDAO(e.ctx, 2); ok {
				t.Fatal("ClassIDAO found a missing class")
			}
		}},
		{name: "parents set depth and paths", prep: func(e *env) {
			a := e.class()
			e.class(&dat.Parent{Class: a})
		}, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 1, SplitBps: 6000}, {Class: 2, SplitBps: 4000}}
		}), check: func(t *testing.T, e *env) {
			c := e.classOf(3)
			// parents: class 1 (depth 0, 1 path), class 2 (depth 1, 2 paths)
			if c.Depth != 2 || c.LineagePaths != 4 || len(c.Parents) != 2 {
				t.Fatalf("depth %d paths %d parents %v", c.Depth, c.LineagePaths, c.Parents)
			}
		}},
		{name: "bad signer address", msg: createMsg(func(m *dat.MsgCreateClass) { m.From = "0x12" }), err: dat.ErrInvalidAddress, says: "from"},
		{name: "missing iDAO", msg: createMsg(func(m *dat.MsgCreateClass) { m.Idao = 9 }), err: dat.ErrNotFound, says: "iDAO 9 does not exist"},
		{name: "member without admin role", msg: createMsg(func(m *dat.MsgCreateClass) { m.From = member1.String() }), err: dat.ErrUnauthorized,
			says: member1.String() + " is not an admin of iDAO 1"},
		{name: "admin of another iDAO", msg: createMsg(func(m *dat.MsgCreateClass) { m.From = admin2.String() }), err: dat.ErrUnauthorized, says: "not an admin of iDAO 1"},
		{name: "empty name", msg: createMsg(func(m *dat.MsgCreateClass) { m.Name = "" }), err: dat.ErrInvalidClass, says: "name is 0 bytes"},
		{name: "long name", msg: createMsg(func(m *dat.MsgCreateClass) { m.Name = strings.Repeat("n", 129) }), err: dat.ErrInvalidClass, says: "name is 129 bytes"},
		{name: "short integrity hash", msg: createMsg(func(m *dat.MsgCreateClass) { m.IntegrityHash = "abcd" }), err: dat.ErrInvalidClass, says: "64 hex digits"},
		{name: "non-hex integrity hash", msg: createMsg(func(m *dat.MsgCreateClass) { m.IntegrityHash = strings.Repeat("g", 64) }), err: dat.ErrInvalidClass, says: "integrity hash"},
		{name: "too many unit decimals", msg: createMsg(func(m *dat.MsgCreateClass) { m.UnitDecimals = 19 }), err: dat.ErrInvalidClass, says: "unit decimals 19"},
		{name: "long metadata URI", msg: createMsg(func(m *dat.MsgCreateClass) { m.MetadataUri = long }), err: dat.ErrInvalidClass, says: "metadata URI is 513 bytes"},
		{name: "long policy URI", msg: createMsg(func(m *dat.MsgCreateClass) { m.PolicyUri = long }), err: dat.ErrInvalidClass, says: "policy URI is 513 bytes"},
		{name: "bad allowed service", msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Policy = &dat.ClassPolicy{AllowedServices: []string{alice.String(), "0xzz"}}
		}), err: dat.ErrInvalidAddress, says: "allowed service 1"},
		{name: "too many allowed services", msg: createMsg(func(m *dat.MsgCreateClass) {
			for i := range 65 {
				m.Policy = &dat.ClassPolicy{AllowedServices: append(m.GetPolicy().GetAllowedServices(), tx.Address{19: byte(i)}.String())}
			}
		}), err: dat.ErrInvalidClass, says: "65 allowed services"},
		{name: "too many parents", prep: func(e *env) {
			for range 9 {
				e.class()
			}
		}, msg: createMsg(func(m *dat.MsgCreateClass) {
			for i := range 9 {
				m.Parents = append(m.Parents, &dat.Parent{Class: uint64(i + 1)})
			}
		}), err: dat.ErrInvalidLineage, says: "9 parents"},
		{name: "missing parent", msg: createMsg(func(m *dat.MsgCreateClass) { m.Parents = []*dat.Parent{{Class: 9}} }), err: dat.ErrNotFound, says: "parent class 9"},
		{name: "duplicate parent", prep: func(e *env) { e.class() }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 1, SplitBps: 10}, {Class: 1, SplitBps: 20}}
		}), err: dat.ErrInvalidLineage, says: "class 1 is listed twice"},
		{name: "splits above 100%", prep: func(e *env) { e.class(); e.class() }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 1, SplitBps: 6000}, {Class: 2, SplitBps: 4001}}
		}), err: dat.ErrInvalidLineage, says: "10001 basis points"},
		{name: "depth 16 is allowed", prep: func(e *env) { chainOf(e, 16) }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 16}}
		}), check: func(t *testing.T, e *env) {
			if d := e.classOf(17).Depth; d != 16 {
				t.Fatalf("depth %d", d)
			}
		}},
		{name: "depth 17 is refused", prep: func(e *env) { chainOf(e, 17) }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 17}}
		}), err: dat.ErrLineageDepth, says: "17 classes deep"},
		{name: "220 lineage paths are allowed", prep: func(e *env) { wide(e) }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 17}, {Class: 18}, {Class: 19}}
		}), check: func(t *testing.T, e *env) {
			if p := e.classOf(21).LineagePaths; p != 1+3*73 {
				t.Fatalf("paths %d", p)
			}
		}},
		{name: "293 lineage paths are refused", prep: func(e *env) { wide(e) }, msg: createMsg(func(m *dat.MsgCreateClass) {
			m.Parents = []*dat.Parent{{Class: 17}, {Class: 18}, {Class: 19}, {Class: 20}}
		}), err: dat.ErrLineageDepth, says: "293 paths"},
	})
}

func TestAddParent(t *testing.T) {
	addMsg := func(from, class, parent uint64, bps uint32) func(e *env) proto.Message {
		return func(e *env) proto.Message {
			signer := admin
			if from != 0 {
				signer = addr(byte(from))
			}
			return &dat.MsgAddParent{From: signer.String(), Class: class, Parent: &dat.Parent{Class: parent, SplitBps: bps}}
		}
	}
	// 1 ← 2 ← 3 and 2 ← 4 (4 also has 3): a diamond under 2; 5 stands alone.
	setup := func(e *env) {
		e.class()
		e.class(&dat.Parent{Class: 1, SplitBps: 5000})
		e.class(&dat.Parent{Class: 2, SplitBps: 1000})
		e.class(&dat.Parent{Class: 2, SplitBps: 1000}, &dat.Parent{Class: 3, SplitBps: 1000})
		e.class()
	}
	runCases(t, setup, []tcase{
		{name: "a new root above a class updates it and its descendants", msg: addMsg(0, 1, 5, 2500), check: func(t *testing.T, e *env) {
			// 5 (d0,p1) ← 1 (d1,p2) ← 2 (d2,p3) ← 3 (d3,p4); 4 has 2 and 3: d4, p 1+3+4=8
			for _, w := range []struct{ id, depth, paths uint64 }{{1, 1, 2}, {2, 2, 3}, {3, 3, 4}, {4, 4, 8}, {5, 0, 1}} {
				c := e.classOf(w.id)
				if uint64(c.Depth) != w.depth || c.LineagePaths != w.paths {
					t.Fatalf("class %d: depth %d paths %d, want %d %d", w.id, c.Depth, c.LineagePaths, w.depth, w.paths)
				}
			}
			if p := e.classOf(1).Parents; len(p) != 1 || p[0].Class != 5 || p[0].SplitBps != 2500 {
				t.Fatalf("parents %v", p)
			}
			if ev := e.eventsOf("dat_lineage"); len(ev) != 1 || ev[0]["class"] != "1" || ev[0]["parent"] != "5" {
				t.Fatalf("events %v", ev)
			}
			lin, err := e.queryLineage(dat.LineageQuery{Class: 5})
			if err != nil || len(lin.Nodes) != 5 {
				t.Fatalf("lineage of 5 after the edge: %v %v", lin, err)
			}
		}},
		{name: "closing a cycle is refused", msg: addMsg(0, 1, 4, 100), err: dat.ErrLineageCycle,
			says: "class 1 is an ancestor of class 4: adding 4 as a parent of 1 would close a cycle"},
		{name: "a direct back edge is refused", msg: addMsg(0, 2, 3, 100), err: dat.ErrLineageCycle, says: "class 2 is an ancestor of class 3"},
		{name: "a class cannot be its own parent", msg: addMsg(0, 2, 2, 100), err: dat.ErrLineageCycle, says: "own parent"},
		{name: "an existing parent is refused", msg: addMsg(0, 3, 2, 100), err: dat.ErrInvalidLineage, says: "class 2 is already a parent of class 3"},
		{name: "missing parent", msg: addMsg(0, 3, 99, 100), err: dat.ErrNotFound, says: "parent class 99"},
		{name: "missing class", msg: addMsg(0, 99, 1, 100), err: dat.ErrNotFound, says: "class 99 does not exist"},
		{name: "non-admin", msg: addMsg(9, 3, 5, 100), err: dat.ErrUnauthorized, says: "change the lineage of class 3"},
		{name: "splits above 100%", msg: addMsg(0, 2, 5, 5001), err: dat.ErrInvalidLineage, says: "10001 basis points"},
		{name: "no parent given", msg: func(e *env) proto.Message {
			return &dat.MsgAddParent{From: admin.String(), Class: 2}
		}, err: dat.ErrInvalidLineage, says: "no parent"},
		{name: "a descendant pushed past the depth bound is refused", prep: func(e *env) {
			chainOf(e, 16) // classes 6..21, depth of 21 is 15
		}, msg: addMsg(0, 1, 21, 0), err: dat.ErrLineageDepth, says: "descendant class"},
		{name: "the class itself past the depth bound", prep: func(e *env) { chainOf(e, 17) }, msg: addMsg(0, 5, 22, 0),
			err: dat.ErrLineageDepth, says: "17 classes deep"},
	})
}

func (e *env) queryLineage(q dat.LineageQuery) (*dat.QueryLineageResponse, error) {
	res, err := e.query("lineage", q)
	if err != nil {
		return nil, err
	}
	return res.(*dat.QueryLineageResponse), nil
}
