package dat

import (
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// BeginBlock expires the tokens whose expiry height is at most the block's
// height or whose expiry time is at most the block's time. An expired
// token's earnings so far are moved into owed (which it can still claim)
// and its share leaves the class's total, so it earns nothing more —
// revenue settled in the block of the expiry already does not reach it. Its
// value stays on the token, unusable, and stays counted in the class's
// total_value.
func (m Module) BeginBlock(ctx *chain.Context) error {
	k := m.Keeper
	kv := k.kv(ctx)
	var due []uint64
	if ctx.Height > 0 {
		end := key(expHPrefix, be(uint64(ctx.Height)+1))
		for _, kk := range store.Keys(kv, expHPrefix, end) {
			due = append(due, store.DecodeUint64(kk[len(kk)-8:]))
			kv.Delete(kk)
		}
	}
	if now := ctx.Time.Unix(); now > 0 {
		end := key(expTPrefix, be(uint64(now)+1))
		for _, kk := range store.Keys(kv, expTPrefix, end) {
			due = append(due, store.DecodeUint64(kk[len(kk)-8:]))
			kv.Delete(kk)
		}
	}
	for _, id := range due {
		t, err := k.Token(ctx, id)
		if err != nil {
			return fmt.Errorf("dat: expiry queue names a missing token: %w", err)
		}
		if t.Expired {
			continue // queued by both height and time
		}
		k.expire(ctx, t)
	}
	return nil
}

// expire takes a token's share out of its class.
func (k *Keeper) expire(ctx *chain.Context, t *Token) {
	c := k.mustClass(ctx, t.Class)
	accrue(t, classAcc(c))
	t.Expired = true
	if c.TotalShare < t.ShareRatio {
		panic(fmt.Sprintf("dat: broken invariant: class %d total share %d < token %d share %d", c.Id, c.TotalShare, t.Id, t.ShareRatio))
	}
	c.TotalShare -= t.ShareRatio
	k.dropExpiryEntries(ctx, t)
	k.setToken(ctx, t)
	k.setClass(ctx, c)
	ctx.Emit(chain.Event("dat_expire",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("class", strconv.FormatUint(t.Class, 10)),
		chain.Indexed("owner", t.Owner),
		chain.Attr("share_ratio", strconv.FormatUint(t.ShareRatio, 10)),
		chain.Attr("value", strconv.FormatUint(t.Value, 10))))
}
