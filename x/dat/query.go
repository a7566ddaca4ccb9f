package dat

import (
	"math"
	"sort"

	"github.com/holiman/uint256"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Bounds of the class and lineage queries (list queries page by
// chain.PageLimit).
const (
	// MaxClassProofs is how many proofs /dat/class returns.
	MaxClassProofs = 100
	// DefaultLineageLimit bounds the descendants /dat/lineage returns.
	DefaultLineageLimit = 1000
)

// ClassQuery asks for one class (/dat/class).
type ClassQuery struct {
	ID uint64 `json:"id"`
}

// ClassesQuery lists classes in id order, all or those of one iDAO
// (/dat/classes).
type ClassesQuery struct {
	IDAO  uint64 `json:"idao,omitempty"`
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// TokenQuery asks for one token (/dat/token).
type TokenQuery struct {
	ID uint64 `json:"id"`
}

// TokensQuery lists the tokens of exactly one of an owner or a class, in id
// order (/dat/tokens).
type TokensQuery struct {
	Owner string `json:"owner,omitempty"`
	Class uint64 `json:"class,omitempty"`
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// PendingQuery asks what an owner (all its tokens with something pending)
// or one token could claim now (/dat/pending).
type PendingQuery struct {
	Owner string `json:"owner,omitempty"`
	Token uint64 `json:"token,omitempty"`
}

// LineageQuery asks for a class's ancestors and descendants
// (/dat/lineage); Limit bounds the descendants (default 1000).
type LineageQuery struct {
	Class uint64 `json:"class"`
	Limit int    `json:"limit,omitempty"`
}

// startAfter is the first key of a page under prefix that starts after
// id; false when nothing can come after it.
func startAfter(prefix []byte, after uint64) ([]byte, bool) {
	if after == math.MaxUint64 {
		return nil, false
	}
	return key(prefix, be(after+1)), true
}

// Queries are the module's read paths under /dat/.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("class", k.queryClass),
		chain.NewQuery("classes", func(ctx *chain.Context, q ClassesQuery) (any, error) { return k.queryClasses(ctx, q), nil }),
		chain.NewQuery("token", k.queryToken),
		chain.NewQuery("tokens", k.queryTokens),
		chain.NewQuery("pending", k.queryPending),
		chain.NewQuery("lineage", k.queryLineage),
	}
}

func (k *Keeper) queryClass(ctx *chain.Context, q ClassQuery) (*QueryClassResponse, error) {
	c, err := k.Class(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	res := &QueryClassResponse{Class: c, Proofs: []*Proof{}}
	if d, err := k.IDAO.Get(ctx, c.Idao); err == nil {
		res.IdaoName = d.GetName()
	}
	prefix := key(proofPrefix, be(c.Id))
	store.Each(k.kv(ctx), prefix, store.PrefixEnd(prefix), func(_, v []byte) bool {
		p := &Proof{}
		chain.DecodeRecord(v, p)
		res.Proofs = append(res.Proofs, p)
		return len(res.Proofs) < MaxClassProofs
	})
	return res, nil
}

func (k *Keeper) queryClasses(ctx *chain.Context, q ClassesQuery) *QueryClassesResponse {
	n := chain.PageLimit(q.Limit)
	res := &QueryClassesResponse{Classes: []*Class{}}
	kv := k.kv(ctx)
	add := func(id uint64) bool {
		if len(res.Classes) == n {
			res.Next = res.Classes[n-1].Id
			return false
		}
		res.Classes = append(res.Classes, k.mustClass(ctx, id))
		return true
	}
	prefix := classPrefix
	if q.IDAO != 0 {
		prefix = key(idaoPrefix, be(q.IDAO))
	}
	start, ok := startAfter(prefix, q.After)
	if !ok {
		return res
	}
	store.Each(kv, start, store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		return add(store.DecodeUint64(kk[len(kk)-8:]))
	})
	return res
}

// usageOf lists a token's usage counters by metric name.
func (k *Keeper) usageOf(ctx *chain.Context, tok uint64) []*Usage {
	out := []*Usage{}
	prefix := key(usagePrefix, be(tok))
	store.Each(k.kv(ctx), prefix, store.PrefixEnd(prefix), func(kk, v []byte) bool {
		out = append(out, &Usage{Metric: string(kk[len(prefix):]), Amount: store.DecodeUint64(v)})
		return true
	})
	return out
}

func (k *Keeper) queryToken(ctx *chain.Context, q TokenQuery) (*QueryTokenResponse, error) {
	t, err := k.Token(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	exp, _ := expiredNow(ctx, t)
	p := pendingOf(t, classAcc(k.mustClass(ctx, t.Class)))
	return &QueryTokenResponse{Token: t, Pending: tx.FormatBaseUnits(p), Expired: exp, Usage: k.usageOf(ctx, t.Id)}, nil
}

func (k *Keeper) queryTokens(ctx *chain.Context, q TokensQuery) (*QueryTokensResponse, error) {
	if (q.Owner == "") == (q.Class == 0) {
		return nil, chain.ErrBadRequest.Wrap("tokens query: give exactly one of owner or class")
	}
	var prefix []byte
	if q.Owner != "" {
		o, err := parseAddr("owner", q.Owner)
		if err != nil {
			return nil, err
		}
		prefix = key(ownerPrefix, o[:])
	} else {
		if _, err := k.Class(ctx, q.Class); err != nil {
			return nil, err
		}
		prefix = key(classTokPrefix, be(q.Class))
	}
	n := chain.PageLimit(q.Limit)
	res := &QueryTokensResponse{Tokens: []*Token{}}
	start, ok := startAfter(prefix, q.After)
	if !ok {
		return res, nil
	}
	store.Each(k.kv(ctx), start, store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		if len(res.Tokens) == n {
			res.Next = res.Tokens[n-1].Id
			return false
		}
		t, err := k.Token(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if err != nil {
			panic("dat: broken invariant: index names " + err.Error())
		}
		res.Tokens = append(res.Tokens, t)
		return true
	})
	return res, nil
}

func (k *Keeper) queryPending(ctx *chain.Context, q PendingQuery) (*QueryPendingResponse, error) {
	if (q.Owner == "") == (q.Token == 0) {
		return nil, chain.ErrBadRequest.Wrap("pending query: give exactly one of owner or token")
	}
	res := &QueryPendingResponse{Tokens: []*TokenPending{}}
	total := new(uint256.Int)
	addToken := func(t *Token) {
		p := pendingOf(t, classAcc(k.mustClass(ctx, t.Class)))
		total.Add(total, uint256.NewInt(p))
		res.Tokens = append(res.Tokens, &TokenPending{Token: t.Id, Class: t.Class, Pending: tx.FormatBaseUnits(p)})
	}
	if q.Token != 0 {
		t, err := k.Token(ctx, q.Token)
		if err != nil {
			return nil, err
		}
		res.Owner = t.Owner
		addToken(t)
	} else {
		o, err := parseAddr("owner", q.Owner)
		if err != nil {
			return nil, err
		}
		res.Owner = o.String()
		for _, id := range store.IDsUnder(k.kv(ctx), key(ownerPrefix, o[:])) {
			t, err := k.Token(ctx, id)
			if err != nil {
				panic("dat: broken invariant: owner index names " + err.Error())
			}
			if pendingOf(t, classAcc(k.mustClass(ctx, t.Class))) > 0 {
				addToken(t)
			}
		}
	}
	res.Total = total.Dec()
	return res, nil
}

func (k *Keeper) queryLineage(ctx *chain.Context, q LineageQuery) (*QueryLineageResponse, error) {
	c, err := k.Class(ctx, q.Class)
	if err != nil {
		return nil, err
	}
	max := q.Limit
	if max <= 0 {
		max = DefaultLineageLimit
	}
	res := &QueryLineageResponse{Class: c.Id}
	nodes := map[uint64]*Class{c.Id: c}
	res.Nodes = append(res.Nodes, &LineageNode{Class: c.Id, Name: c.Name, Idao: c.Idao})
	anc, dist := k.ancestors(ctx, c.Id)
	for _, id := range anc {
		a := k.mustClass(ctx, id)
		nodes[id] = a
		res.Nodes = append(res.Nodes, &LineageNode{Class: id, Name: a.Name, Idao: a.Idao, Distance: -int32(dist[id])})
	}
	// Descendants, breadth first.
	seen := map[uint64]bool{c.Id: true}
	frontier := []uint64{c.Id}
	count := 0
	for d := int32(1); len(frontier) > 0 && !res.Truncated; d++ {
		var next []uint64
		for _, id := range frontier {
			for _, ch := range k.children(ctx, id) {
				if seen[ch] {
					continue
				}
				if count == max {
					res.Truncated = true
					break
				}
				seen[ch] = true
				count++
				cc := k.mustClass(ctx, ch)
				nodes[ch] = cc
				res.Nodes = append(res.Nodes, &LineageNode{Class: ch, Name: cc.Name, Idao: cc.Idao, Distance: d})
				next = append(next, ch)
			}
			if res.Truncated {
				break
			}
		}
		frontier = next
	}
	// Edges among the returned nodes, child by child in the node order.
	for _, n := range res.Nodes {
		for _, p := range nodes[n.Class].Parents {
			if _, ok := nodes[p.Class]; ok {
				res.Edges = append(res.Edges, &LineageEdge{Child: n.Class, Parent: p.Class, SplitBps: p.SplitBps})
			}
		}
	}
	sort.SliceStable(res.Edges, func(i, j int) bool {
		if res.Edges[i].Child != res.Edges[j].Child {
			return res.Edges[i].Child < res.Edges[j].Child
		}
		return res.Edges[i].Parent < res.Edges[j].Parent
	})
	return res, nil
}
