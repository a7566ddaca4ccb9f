package dat

import (
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

// Name is the module's name: its key prefix, codespace and genesis section.
const Name = "dat"

// Escrow holds revenue that has been settled into classes and not yet
// claimed by their holders.
var Escrow = tx.ModuleAddress("dat/revenue")

// BankKeeper is what dat needs of the bank: moving ulaz and reading a
// balance.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// IDAOKeeper is what dat needs of the idao module: the iDAOs that own
// classes, their members, roles, policies and treasuries, and the
// agreements under which one iDAO uses another's class.
type IDAOKeeper interface {
	Get(ctx *chain.Context, id uint64) (*idao.IDAO, error)
	IsMember(ctx *chain.Context, id uint64, a tx.Address) bool
	HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool
	Policy(ctx *chain.Context, id uint64, key string) string
	Treasury(id uint64) tx.Address
	ActiveAgreement(ctx *chain.Context, grantor, grantee, class uint64) (*idao.Agreement, error)
	UseAgreement(ctx *chain.Context, id uint64, units uint64) error
}

// roleAdmin is the iDAO role that may create classes, mint and add proofs
// (idao.RoleAdmin; spelt out so this package does not depend on idao's
// code, only on its generated types).
const roleAdmin = "admin"

// Keeper executes the module's state transitions. It holds no state itself:
// everything lives under the module's store prefix.
type Keeper struct {
	Bank BankKeeper
	IDAO IDAOKeeper
}

func (k *Keeper) kv(ctx *chain.Context) store.KV { return ctx.Store(Name) }

// Class reads a class; ErrNotFound if it does not exist.
func (k *Keeper) Class(ctx *chain.Context, id uint64) (*Class, error) {
	b := k.kv(ctx).Get(classKey(id))
	if b == nil {
		return nil, ErrNotFound.Wrapf("class %d does not exist", id)
	}
	c := &Class{}
	chain.DecodeRecord(b, c)
	return c, nil
}

// mustClass reads a class that the state says exists (a parent, a token's
// class); its absence is a broken invariant.
func (k *Keeper) mustClass(ctx *chain.Context, id uint64) *Class {
	c, err := k.Class(ctx, id)
	if err != nil {
		panic(fmt.Sprintf("dat: broken invariant: %v", err))
	}
	return c
}

func (k *Keeper) setClass(ctx *chain.Context, c *Class) {
	chain.SaveRecord(k.kv(ctx), classKey(c.Id), c)
}

// Token reads a token; ErrNotFound if it does not exist.
func (k *Keeper) Token(ctx *chain.Context, id uint64) (*Token, error) {
	b := k.kv(ctx).Get(tokenKey(id))
	if b == nil {
		return nil, ErrNotFound.Wrapf("token %d does not exist", id)
	}
	t := &Token{}
	chain.DecodeRecord(b, t)
	return t, nil
}

func (k *Keeper) setToken(ctx *chain.Context, t *Token) {
	chain.SaveRecord(k.kv(ctx), tokenKey(t.Id), t)
}

// ClassIDAO is the iDAO that owns a class.
func (k *Keeper) ClassIDAO(ctx *chain.Context, class uint64) (uint64, bool) {
	c, err := k.Class(ctx, class)
	if err != nil {
		return 0, false
	}
	return c.Idao, true
}

// owner is a stored token's owner.
func owner(t *Token) tx.Address {
	a, err := tx.ParseAddress(t.Owner)
	if err != nil {
		panic(fmt.Sprintf("dat: token %d has a bad stored owner: %v", t.Id, err))
	}
	return a
}

// parseAddr reads an address from a message field, naming the field.
func parseAddr(field, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return a, nil
}

// expiredNow says whether a token is expired at the context's block, and
// why, in a sentence fit for an error.
func expiredNow(ctx *chain.Context, t *Token) (bool, string) {
	switch {
	case t.ExpireAtHeight != 0 && uint64(max(ctx.Height, 0)) >= t.ExpireAtHeight:
		return true, fmt.Sprintf("token %d expired at height %d (now %d)", t.Id, t.ExpireAtHeight, ctx.Height)
	case t.ExpireAtTime != 0 && ctx.Time.Unix() >= t.ExpireAtTime:
		return true, fmt.Sprintf("token %d expired at time %d (now %d)", t.Id, t.ExpireAtTime, ctx.Time.Unix())
	case t.Expired:
		return true, fmt.Sprintf("token %d has expired", t.Id)
	}
	return false, ""
}

// checkLive returns ErrExpired if the token is expired.
func checkLive(ctx *chain.Context, t *Token) error {
	if exp, why := expiredNow(ctx, t); exp {
		return ErrExpired.Wrap(why)
	}
	return nil
}

// isOperator says whether op is approved for all of owner's tokens of class.
func (k *Keeper) isOperator(ctx *chain.Context, owner tx.Address, class uint64, op tx.Address) bool {
	return k.kv(ctx).Has(operatorKey(owner, class, op))
}

// allowance is the value op may move or use of a token.
func (k *Keeper) allowance(ctx *chain.Context, tok uint64, op tx.Address) uint64 {
	b := k.kv(ctx).Get(allowanceKey(tok, op))
	if b == nil {
		return 0
	}
	return store.DecodeUint64(b)
}

func (k *Keeper) setAllowance(ctx *chain.Context, tok uint64, op tx.Address, v uint64) {
	if v == 0 {
		k.kv(ctx).Delete(allowanceKey(tok, op))
		return
	}
	k.kv(ctx).Set(allowanceKey(tok, op), be(v))
}

// keys lists the keys under prefix, so a caller can delete or rewrite them
// without writing while iterating.
func keys(kv store.KV, prefix []byte) [][]byte {
	return store.Keys(kv, prefix, store.PrefixEnd(prefix))
}
