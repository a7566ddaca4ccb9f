package dat_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/x/dat"
)

// query runs a module query with req encoded as JSON, and checks the
// result encodes as the app would encode it.
func (e *env) query(path string, req any) (any, error) {
	e.t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.queryRaw(path, raw)
}

func (e *env) queryRaw(path string, raw []byte) (any, error) {
	e.t.Helper()
	for _, q := range e.m.Queries() {
		if q.Path == path {
			res, err := q.Run(e.ctx, raw)
			if err == nil {
				if _, err := chain.EncodeJSON(res); err != nil {
					e.t.Fatalf("result of %s does not encode: %v", path, err)
				}
			}
			return res, err
		}
	}
	e.t.Fatalf("no query %q", path)
	return nil, nil
}

func TestQueries(t *testing.T) {
	e := newEnv(t)
	fixture(e)
	// class 3 of iDAO 2; class 4 derived from 1 and 3; class 5 from 4.
	if _, err := e.k.CreateClass(e.ctx, admin2, &dat.MsgCreateClass{From: admin2.String(), Idao: 2, Name: "beta-data", IntegrityHash: hash64}); err != nil {
		t.Fatal(err)
	}
	e.class(&dat.Parent{Class: 1, SplitBps: 2000}, &dat.Parent{Class: 3, SplitBps: 3000})
	e.class(&dat.Parent{Class: 4, SplitBps: 1000})
	e.must(&dat.MsgAddProof{From: admin.String(), Class: 1, Token: 1, Type: "tee_report", Uri: "https://r", Digest: strings.ToUpper(hash64)})
	e.settle(1, 31)
	e.must(&dat.MsgRecordUsage{From: alice.String(), Token: 1, Metric: "train", Amount: 4})
	e.must(&dat.MsgRecordUsage{From: alice.String(), Token: 1, Metric: "infer", Amount: 1})

	t.Run("class", func(t *testing.T) {
		res, err := e.query("class", dat.ClassQuery{ID: 1})
		if err != nil {
			t.Fatal(err)
		}
		r := res.(*dat.QueryClassResponse)
		if r.Class.Id != 1 || r.IdaoName != "alpha" || len(r.Proofs) != 1 || r.Proofs[0].Digest != strings.ToLower(hash64) || r.Proofs[0].Token != 1 {
			t.Fatalf("%v", r)
		}
		if _, err := e.query("class", dat.ClassQuery{ID: 99}); !errors.Is(err, dat.ErrNotFound) {
			t.Fatalf("missing class: %v", err)
		}
		if _, err := e.queryRaw("class", []byte(`{"class":1}`)); !errors.Is(err, chain.ErrBadRequest) {
			t.Fatalf("misspelt field: %v", err)
		}
	})
	t.Run("classes", func(t *testing.T) {
		ids := func(q dat.ClassesQuery) ([]uint64, uint64) {
			res, err := e.query("classes", q)
			if err != nil {
				t.Fatal(err)
			}
			r := res.(*dat.QueryClassesResponse)
			var out []uint64
			for _, c := range r.Classes {
				out = append(out, c.Id)
			}
			return out, r.Next
		}
		if got, next := ids(dat.ClassesQuery{}); len(got) != 5 || next != 0 {
			t.Fatalf("all: %v next %d", got, next)
		}
		if got, next := ids(dat.ClassesQuery{Limit: 2}); len(got) != 2 || got[1] != 2 || next != 2 {
			t.Fatalf("page 1: %v next %d", got, next)
		}
		if got, next := ids(dat.ClassesQuery{After: 2, Limit: 2}); len(got) != 2 || got[0] != 3 || next != 4 {
			t.Fatalf("page 2: %v next %d", got, next)
		}
		if got, _ := ids(dat.ClassesQuery{IDAO: 2}); len(got) != 1 || got[0] != 3 {
			t.Fatalf("iDAO 2: %v", got)
		}
		if got, _ := ids(dat.ClassesQuery{IDAO: 1, After: 2}); len(got) != 2 || got[0] != 4 || got[1] != 5 {
			t.Fatalf("iDAO 1 after 2: %v", got)
		}
		if got, _ := ids(dat.ClassesQuery{After: math.MaxUint64}); len(got) != 0 {
			t.Fatalf("after the last id: %v", got)
		}
	})
	t.Run("token", func(t *testing.T) {
		res, err := e.query("token", dat.TokenQuery{ID: 1})
		if err != nil {
			t.Fatal(err)
		}
		r := res.(*dat.QueryTokenResponse)
		// 31 over shares 1, 2: token 1 floor(31/3) = 10
		if r.Pending != "10" || r.Expired || len(r.Usage) != 2 || r.Usage[0].Metric != "infer" || r.Usage[1].Amount != 4 {
			t.Fatalf("%v", r)
		}
	})
	t.Run("tokens", func(t *testing.T) {
		list := func(q dat.TokensQuery) ([]uint64, uint64) {
			res, err := e.query("tokens", q)
			if err != nil {
				t.Fatal(err)
			}
			r := res.(*dat.QueryTokensResponse)
			var out []uint64
			for _, tk := range r.Tokens {
				out = append(out, tk.Id)
			}
			return out, r.Next
		}
		if got, _ := list(dat.TokensQuery{Owner: alice.String()}); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Fatalf("alice: %v", got)
		}
		if got, next := list(dat.TokensQuery{Class: 1, Limit: 1}); len(got) != 1 || next != 1 {
			t.Fatalf("class 1 page: %v %d", got, next)
		}
		if got, next := list(dat.TokensQuery{Class: 1, After: 1}); len(got) != 1 || got[0] != 2 || next != 0 {
			t.Fatalf("class 1 after 1: %v %d", got, next)
		}
		for _, q := range []dat.TokensQuery{{}, {Owner: alice.String(), Class: 1}} {
			if _, err := e.query("tokens", q); !errors.Is(err, chain.ErrBadRequest) {
				t.Fatalf("%v: %v", q, err)
			}
		}
		if _, err := e.query("tokens", dat.TokensQuery{Owner: "0x"}); !errors.Is(err, dat.ErrInvalidAddress) {
			t.Fatalf("bad owner: %v", err)
		}
		if _, err := e.query("tokens", dat.TokensQuery{Class: 99}); !errors.Is(err, dat.ErrNotFound) {
			t.Fatalf("tokens of a missing class: %v, want not found", err)
		}
	})
	t.Run("pending", func(t *testing.T) {
		res, err := e.query("pending", dat.PendingQuery{Owner: alice.String()})
		if err != nil {
			t.Fatal(err)
		}
		r := res.(*dat.QueryPendingResponse)
		if r.Total != "10" || len(r.Tokens) != 1 || r.Tokens[0].Token != 1 || r.Owner != alice.String() {
			t.Fatalf("%v", r)
		}
		res, err = e.query("pending", dat.PendingQuery{Token: 2})
		if r := res.(*dat.QueryPendingResponse); err != nil || r.Total != "20" || r.Owner != bob.String() {
			t.Fatalf("%v %v", r, err)
		}
		if _, err := e.query("pending", dat.PendingQuery{}); !errors.Is(err, chain.ErrBadRequest) {
			t.Fatalf("empty: %v", err)
		}
	})
	t.Run("lineage", func(t *testing.T) {
		res, err := e.query("lineage", dat.LineageQuery{Class: 4})
		if err != nil {
			t.Fatal(err)
		}
		r := res.(*dat.QueryLineageResponse)
		dist := map[uint64]int32{}
		for _, n := range r.Nodes {
			dist[n.Class] = n.Distance
		}
		want := map[uint64]int32{4: 0, 1: -1, 3: -1, 5: 1}
		if len(dist) != len(want) || r.Truncated {
			t.Fatalf("nodes %v", r.Nodes)
		}
		for id, d := range want {
			if got, ok := dist[id]; !ok || got != d {
				t.Fatalf("class %d distance %d, want %d (nodes %v)", id, got, d, r.Nodes)
			}
		}
		wantEdges := []*dat.LineageEdge{{Child: 4, Parent: 1, SplitBps: 2000}, {Child: 4, Parent: 3, SplitBps: 3000}, {Child: 5, Parent: 4, SplitBps: 1000}}
		if len(r.Edges) != len(wantEdges) {
			t.Fatalf("edges %v", r.Edges)
		}
		for i := range wantEdges {
			if !proto.Equal(r.Edges[i], wantEdges[i]) {
				t.Fatalf("edge %d: %v, want %v", i, r.Edges[i], wantEdges[i])
			}
		}
		res, _ = e.query("lineage", dat.LineageQuery{Class: 1, Limit: 1})
		r = res.(*dat.QueryLineageResponse)
		if len(r.Nodes) != 2 || !r.Truncated || r.Nodes[1].Class != 4 {
			t.Fatalf("limited: %v", r)
		}
	})
}

func TestAddProof(t *testing.T) {
	proof := func(mod func(m *dat.MsgAddProof)) func(*env) proto.Message {
		return func(*env) proto.Message {
			m := &dat.MsgAddProof{From: admin.String(), Class: 1, Type: "zk_proof", Uri: "ipfs://proof", Digest: hash64}
			if mod != nil {
				mod(m)
			}
			return m
		}
	}
	runCases(t, fixture, []tcase{
		{name: "an admin adds a class proof", msg: proof(nil), check: func(t *testing.T, e *env) {
			if c := e.classOf(1); c.Proofs != 1 {
				t.Fatalf("proofs %d", c.Proofs)
			}
			res, _ := e.query("class", dat.ClassQuery{ID: 1})
			p := res.(*dat.QueryClassResponse).Proofs
			if len(p) != 1 || p[0].Index != 1 || p[0].Type != "zk_proof" || p[0].Submitter != admin.String() || p[0].Height != startHeight || p[0].Digest != strings.ToLower(hash64) {
				t.Fatalf("proofs %v", p)
			}
			if ev := e.eventsOf("dat_proof"); len(ev) != 1 || ev[0]["class"] != "1" || ev[0]["type"] != "zk_proof" {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "a proof about a token of the class", msg: proof(func(m *dat.MsgAddProof) { m.Token, m.Type = 2, "op_claim" })},
		{name: "a non-admin", msg: proof(func(m *dat.MsgAddProof) { m.From = alice.String() }), err: dat.ErrUnauthorized, says: "add proofs to class 1"},
		{name: "an unknown type", msg: proof(func(m *dat.MsgAddProof) { m.Type = "trust_me" }), err: dat.ErrInvalidProof, says: `proof type "trust_me"`},
		{name: "no URI", msg: proof(func(m *dat.MsgAddProof) { m.Uri = "" }), err: dat.ErrInvalidProof, says: "URI is 0 bytes"},
		{name: "a long URI", msg: proof(func(m *dat.MsgAddProof) { m.Uri = strings.Repeat("u", 513) }), err: dat.ErrInvalidProof, says: "URI is 513 bytes"},
		{name: "a bad digest", msg: proof(func(m *dat.MsgAddProof) { m.Digest = "00" }), err: dat.ErrInvalidProof, says: "64 hex digits"},
		{name: "a token of another class", msg: proof(func(m *dat.MsgAddProof) { m.Token = 3 }), err: dat.ErrClassMismatch, says: "token 3 is of class 2, not of class 1"},
		{name: "a missing token", msg: proof(func(m *dat.MsgAddProof) { m.Token = 9 }), err: dat.ErrNotFound, says: "token 9"},
		{name: "a missing class", msg: proof(func(m *dat.MsgAddProof) { m.Class = 9 }), err: dat.ErrNotFound, says: "class 9"},
	})
}
