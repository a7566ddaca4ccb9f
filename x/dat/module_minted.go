package dat

import (
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/tx"
)

// Classes minted by a module: a model class's usage value is bought and
// spent through the service module, which holds what each unit was paid
// for; minting or recording usage by hand would make value that nothing
// pays for, or burn what a consumer paid.

// SetMinter makes module the only minter and usage recorder of a class.
func (k *Keeper) SetMinter(ctx *chain.Context, class uint64, module string) error {
	c, err := k.Class(ctx, class)
	if err != nil {
		return err
	}
	c.Minter = module
	k.setClass(ctx, c)
	return nil
}

// SetPerformance records a class's measured performance (a model's
// accuracy on its validation set) on its certificate.
func (k *Keeper) SetPerformance(ctx *chain.Context, class uint64, metric string, ppm uint32) error {
	c, err := k.Class(ctx, class)
	if err != nil {
		return err
	}
	c.PerformanceMetric, c.PerformancePpm = metric, ppm
	k.setClass(ctx, c)
	ctx.Emit(chain.Event("dat_performance",
		chain.Indexed("class", strconv.FormatUint(c.Id, 10)),
		chain.Attr("metric", metric),
		chain.Attr("ppm", strconv.FormatUint(uint64(ppm), 10))))
	return nil
}

// refuseModuleMinted returns ErrModuleMinted if the class's tokens are
// minted (or its usage recorded) only by a module.
func refuseModuleMinted(c *Class, action string) error {
	if c.Minter == "" {
		return nil
	}
	return ErrModuleMinted.Wrapf("only the %s module may %s class %d (a model class: buy usage with `lazchain service buy`, and it is used up by paid calls)",
		c.Minter, action, c.Id)
}

// ConsumeUsage uses amount of a token's value for a paid call: the token
// must be live and user must own it or be an operator its owner approved
// for the class. It is the keeper-level recordUsage of a module-minted
// class and emits no event of its own (the caller reports the batch).
func (k *Keeper) ConsumeUsage(ctx *chain.Context, token uint64, user tx.Address, metric string, amount uint64) error {
	t, err := k.Token(ctx, token)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, t); err != nil {
		return err
	}
	if o := owner(t); o != user && !k.isOperator(ctx, o, t.Class, user) {
		return ErrUnauthorized.Wrapf("token %d is owned by %s, not %s (nor did its owner approve %s for class %d)", t.Id, o, user, user, t.Class)
	}
	if amount > t.Value {
		return ErrQuotaExceeded.Wrapf("token %d has %d units left; usage of %d exceeds the quota", t.Id, t.Value, amount)
	}
	k.useValue(ctx, t, k.mustClass(ctx, t.Class), metric, amount)
	return nil
}

// AddValue adds value to a live token of a module-minted class (a consumer
// buying more usage on a token it owns).
func (k *Keeper) AddValue(ctx *chain.Context, token uint64, user tx.Address, amount uint64) error {
	t, err := k.Token(ctx, token)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, t); err != nil {
		return err
	}
	if owner(t) != user {
		return ErrNotOwner.Wrapf("token %d is owned by %s, not %s", t.Id, owner(t), user)
	}
	c := k.mustClass(ctx, t.Class)
	if t.Value > ^uint64(0)-amount || c.TotalValue > ^uint64(0)-amount {
		return ErrOverflow.Wrapf("adding %d to token %d overflows 64 bits", amount, t.Id)
	}
	t.Value += amount
	c.TotalValue += amount
	k.setToken(ctx, t)
	k.setClass(ctx, c)
	return nil
}

// AllowsService says whether the class's policy, or its iDAO's
// allowed_services policy, names a as an allowed service.
func (k *Keeper) AllowsService(ctx *chain.Context, c *Class, a tx.Address) bool {
	return k.allowedService(ctx, c, a)
}
