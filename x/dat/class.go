package dat

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Bounds on a class.
const (
	MaxNameLen         = 128
	MaxURILen          = 512
	MaxUnitDecimals    = 18
	MaxAllowedServices = 64
	MaxParents         = 8
	// MaxDepth bounds the longest chain of ancestors of a class.
	MaxDepth = 16
	// MaxLineagePaths bounds the number of paths from a class up through
	// its ancestors (itself included): the work of one settlement.
	MaxLineagePaths = 256
	// MaxBps is 100% in basis points.
	MaxBps = 10000
)

// hex64 checks a 32-byte hex digest and returns it in lower case.
func hex64(s string) (string, bool) {
	if len(s) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return strings.ToLower(s), true
}

// canonicalServices parses addresses and returns them checksummed, sorted
// by their bytes and without duplicates.
func canonicalServices(list []string) ([]string, error) {
	if len(list) > MaxAllowedServices {
		return nil, ErrInvalidClass.Wrapf("policy lists %d allowed services, at most %d are allowed", len(list), MaxAllowedServices)
	}
	addrs := make([]tx.Address, 0, len(list))
	for i, s := range list {
		a, err := tx.ParseAddress(s)
		if err != nil {
			return nil, ErrInvalidAddress.Wrapf("policy allowed service %d: %v", i, err)
		}
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b tx.Address) int { return bytes.Compare(a[:], b[:]) })
	addrs = slices.Compact(addrs)
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// lineageOf checks a list of parents for a class and returns the class's
// depth and lineage paths. Parent classes must exist.
func (k *Keeper) lineageOf(ctx *chain.Context, parents []*Parent, parentOf func(uint64) *Class) (depth uint32, paths uint64, err error) {
	if len(parents) > MaxParents {
		return 0, 0, ErrInvalidLineage.Wrapf("%d parents given, at most %d are allowed", len(parents), MaxParents)
	}
	var sum uint64
	paths = 1
	for i, p := range parents {
		if p == nil {
			return 0, 0, ErrInvalidLineage.Wrapf("parent %d is empty", i)
		}
		for _, q := range parents[:i] {
			if q.Class == p.Class {
				return 0, 0, ErrInvalidLineage.Wrapf("class %d is listed twice as a parent", p.Class)
			}
		}
		sum += uint64(p.SplitBps)
		pc := parentOf(p.Class)
		if pc == nil {
			return 0, 0, ErrNotFound.Wrapf("parent class %d does not exist", p.Class)
		}
		depth = max(depth, pc.Depth+1)
		paths += pc.LineagePaths
	}
	if sum > MaxBps {
		return 0, 0, ErrInvalidLineage.Wrapf("parent splits add up to %d basis points, more than %d", sum, MaxBps)
	}
	if depth > MaxDepth {
		return 0, 0, ErrLineageDepth.Wrapf("lineage would be %d classes deep, at most %d are allowed", depth, MaxDepth)
	}
	if paths > MaxLineagePaths {
		return 0, 0, ErrLineageDepth.Wrapf("lineage would have %d paths to its ancestors, at most %d are allowed (each settlement walks every path)", paths, MaxLineagePaths)
	}
	return depth, paths, nil
}

// storedClass returns a class or nil; for lineageOf.
func (k *Keeper) storedClass(ctx *chain.Context) func(uint64) *Class {
	return func(id uint64) *Class {
		c, err := k.Class(ctx, id)
		if err != nil {
			return nil
		}
		return c
	}
}

// CreateClass anchors a new class for msg.Idao with creator as its
// creator and returns its id. It checks everything except that creator is
// an admin of the iDAO: callers check that (the message handler does).
func (k *Keeper) CreateClass(ctx *chain.Context, creator tx.Address, msg *MsgCreateClass) (uint64, error) {
	if _, err := k.IDAO.Get(ctx, msg.Idao); err != nil {
		return 0, ErrNotFound.Wrapf("iDAO %d does not exist: %v", msg.Idao, err)
	}
	if n := len(msg.Name); n == 0 || n > MaxNameLen {
		return 0, ErrInvalidClass.Wrapf("name is %d bytes, want 1 to %d", n, MaxNameLen)
	}
	hash, ok := hex64(msg.IntegrityHash)
	if !ok {
		return 0, ErrInvalidClass.Wrapf("integrity hash %q: want 64 hex digits (a SHA-256 digest)", msg.IntegrityHash)
	}
	if msg.UnitDecimals > MaxUnitDecimals {
		return 0, ErrInvalidClass.Wrapf("unit decimals %d: at most %d", msg.UnitDecimals, MaxUnitDecimals)
	}
	if len(msg.MetadataUri) > MaxURILen {
		return 0, ErrInvalidClass.Wrapf("metadata URI is %d bytes, at most %d", len(msg.MetadataUri), MaxURILen)
	}
	if len(msg.PolicyUri) > MaxURILen {
		return 0, ErrInvalidClass.Wrapf("policy URI is %d bytes, at most %d", len(msg.PolicyUri), MaxURILen)
	}
	policy := &ClassPolicy{}
	if msg.Policy != nil {
		services, err := canonicalServices(msg.Policy.AllowedServices)
		if err != nil {
			return 0, err
		}
		policy = &ClassPolicy{AllowedServices: services, Restricted: msg.Policy.Restricted}
	}
	depth, paths, err := k.lineageOf(ctx, msg.Parents, k.storedClass(ctx))
	if err != nil {
		return 0, err
	}
	parents := make([]*Parent, len(msg.Parents))
	for i, p := range msg.Parents {
		parents[i] = &Parent{Class: p.Class, SplitBps: p.SplitBps}
	}
	id := chain.NextID(k.kv(ctx), seqClassKey)
	c := &Class{
		Id: id, Idao: msg.Idao, Creator: creator.String(), Name: msg.Name,
		MetadataUri: msg.MetadataUri, IntegrityHash: hash, UnitDecimals: msg.UnitDecimals,
		PolicyUri: msg.PolicyUri, Parents: parents, Policy: policy,
		CreatedHeight: ctx.Height, CreatedTime: ctx.Time.Unix(),
		Revenue: "0", Distributed: "0", Claimed: "0", Acc: "0", AccRemainder: "0", Unallocated: "0",
		Depth: depth, LineagePaths: paths,
	}
	k.setClass(ctx, c)
	kv := k.kv(ctx)
	kv.Set(idaoClassKey(c.Idao, id), present)
	for _, p := range parents {
		kv.Set(childKey(p.Class, id), present)
	}
	ctx.Emit(chain.Event("dat_class",
		chain.Indexed("class", strconv.FormatUint(id, 10)),
		chain.Indexed("idao", strconv.FormatUint(c.Idao, 10)),
		chain.Indexed("creator", c.Creator),
		chain.Attr("name", c.Name),
		chain.Attr("integrity_hash", hash),
		chain.Attr("depth", strconv.FormatUint(uint64(depth), 10)),
		chain.Attr("lineage_paths", strconv.FormatUint(paths, 10))))
	return id, nil
}

// requireAdmin checks that signer is an admin of the iDAO, for action.
func (k *Keeper) requireAdmin(ctx *chain.Context, signer tx.Address, idaoID uint64, action string) error {
	if !k.IDAO.HasRole(ctx, idaoID, signer, roleAdmin) {
		return ErrUnauthorized.Wrapf("%s is not an admin of iDAO %d: only its admins may %s", signer, idaoID, action)
	}
	return nil
}

func (k *Keeper) execCreateClass(ctx *chain.Context, msg *MsgCreateClass) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if _, err := k.IDAO.Get(ctx, msg.Idao); err != nil {
		return ErrNotFound.Wrapf("iDAO %d does not exist: %v", msg.Idao, err)
	}
	if err := k.requireAdmin(ctx, signer, msg.Idao, "create its classes"); err != nil {
		return err
	}
	_, err = k.CreateClass(ctx, signer, msg)
	return err
}

func (k *Keeper) execAddParent(ctx *chain.Context, msg *MsgAddParent) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	c, err := k.Class(ctx, msg.Class)
	if err != nil {
		return err
	}
	if err := k.requireAdmin(ctx, signer, c.Idao, fmt.Sprintf("change the lineage of class %d", c.Id)); err != nil {
		return err
	}
	if msg.Parent == nil {
		return ErrInvalidLineage.Wrap("no parent given")
	}
	return k.addParent(ctx, msg.Class, msg.Parent.Class, msg.Parent.SplitBps)
}

// ancestors lists every ancestor of a class with its shortest distance
// (1 for a parent), in breadth-first order.
func (k *Keeper) ancestors(ctx *chain.Context, id uint64) (ids []uint64, dist map[uint64]int) {
	dist = map[uint64]int{}
	frontier := []uint64{id}
	for d := 1; len(frontier) > 0; d++ {
		var next []uint64
		for _, cur := range frontier {
			for _, p := range k.mustClass(ctx, cur).Parents {
				if _, seen := dist[p.Class]; seen || p.Class == id {
					continue
				}
				dist[p.Class] = d
				ids = append(ids, p.Class)
				next = append(next, p.Class)
			}
		}
		frontier = next
	}
	return ids, dist
}

// children lists a class's direct children in id order.
func (k *Keeper) children(ctx *chain.Context, id uint64) []uint64 {
	return store.IDsUnder(k.kv(ctx), key(childPrefix, be(id)))
}

// addParent adds a lineage edge class → parent, refusing cycles, and
// recomputes the depth and lineage paths of the class and every descendant,
// refusing the edge if any would exceed the bounds.
func (k *Keeper) addParent(ctx *chain.Context, classID, parentID uint64, bps uint32) error {
	c, err := k.Class(ctx, classID)
	if err != nil {
		return err
	}
	if _, err := k.Class(ctx, parentID); err != nil {
		return ErrNotFound.Wrapf("parent class %d does not exist", parentID)
	}
	if parentID == classID {
		return ErrLineageCycle.Wrapf("class %d cannot be its own parent", classID)
	}
	for _, p := range c.Parents {
		if p.Class == parentID {
			return ErrInvalidLineage.Wrapf("class %d is already a parent of class %d", parentID, classID)
		}
	}
	if _, dist := k.ancestors(ctx, parentID); dist[classID] > 0 {
		return ErrLineageCycle.Wrapf("class %d is an ancestor of class %d: adding %d as a parent of %d would close a cycle",
			classID, parentID, parentID, classID)
	}

	// The class and its descendants, in an order where every class comes
	// after its parents (Kahn's algorithm over the affected subgraph).
	affected := map[uint64]*Class{classID: c}
	order := []uint64{classID}
	for i := 0; i < len(order); i++ {
		for _, ch := range k.children(ctx, order[i]) {
			if _, ok := affected[ch]; !ok {
				affected[ch] = k.mustClass(ctx, ch)
				order = append(order, ch)
			}
		}
	}
	c.Parents = append(c.Parents, &Parent{Class: parentID, SplitBps: bps})
	indeg := map[uint64]int{}
	for _, id := range order {
		for _, p := range affected[id].Parents {
			if _, ok := affected[p.Class]; ok {
				indeg[id]++
			}
		}
	}
	lookup := func(id uint64) *Class {
		if a, ok := affected[id]; ok {
			return a
		}
		return k.storedClass(ctx)(id)
	}
	var sorted []uint64
	queue := []uint64{classID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		sorted = append(sorted, id)
		cl := affected[id]
		depth, paths, err := k.lineageOf(ctx, cl.Parents, lookup)
		if err != nil {
			if id != classID {
				return ErrLineageDepth.Wrapf("adding class %d as a parent of class %d would push its descendant class %d past the bounds: %v",
					parentID, classID, id, err)
			}
			return err
		}
		cl.Depth, cl.LineagePaths = depth, paths
		for _, ch := range k.children(ctx, id) {
			indeg[ch]--
			if indeg[ch] == 0 {
				queue = append(queue, ch)
			}
		}
	}
	if len(sorted) != len(order) {
		panic(fmt.Sprintf("dat: broken invariant: the descendants of class %d contain a cycle", classID))
	}
	for _, id := range sorted {
		k.setClass(ctx, affected[id])
	}
	k.kv(ctx).Set(childKey(parentID, classID), present)
	ctx.Emit(chain.Event("dat_lineage",
		chain.Indexed("class", strconv.FormatUint(classID, 10)),
		chain.Indexed("parent", strconv.FormatUint(parentID, 10)),
		chain.Attr("split_bps", strconv.FormatUint(uint64(bps), 10)),
		chain.Attr("depth", strconv.FormatUint(uint64(c.Depth), 10)),
		chain.Attr("lineage_paths", strconv.FormatUint(c.LineagePaths, 10)),
		chain.Attr("descendants_updated", strconv.Itoa(len(sorted)-1))))
	return nil
}

// eachClass calls fn for every class in id order.
func (k *Keeper) eachClass(ctx *chain.Context, kv store.KV, fn func(*Class) bool) {
	store.Each(kv, classPrefix, store.PrefixEnd(classPrefix), func(_, v []byte) bool {
		c := &Class{}
		chain.DecodeRecord(v, c)
		return fn(c)
	})
}
