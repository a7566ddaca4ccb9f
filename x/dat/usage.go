package dat

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/internal/accum"
	"github.com/lazchain/lazchain/tx"
)

// MaxMetricLen bounds a usage metric's name.
const MaxMetricLen = 64

// PolicyAllowedServices is the iDAO policy key whose value (comma-separated
// addresses) lists services allowed to record usage of all the iDAO's
// classes.
const PolicyAllowedServices = "allowed_services"

func validMetric(m string) bool {
	if len(m) == 0 || len(m) > MaxMetricLen {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// allowedService says whether a is an allowed service of the class, by its
// own policy or its iDAO's "allowed_services" policy.
func (k *Keeper) allowedService(ctx *chain.Context, c *Class, a tx.Address) bool {
	if c.Policy != nil {
		for _, s := range c.Policy.AllowedServices {
			if sa, err := tx.ParseAddress(s); err == nil && sa == a {
				return true
			}
		}
	}
	for s := range strings.SplitSeq(k.IDAO.Policy(ctx, c.Idao, PolicyAllowedServices), ",") {
		if sa, err := tx.ParseAddress(strings.TrimSpace(s)); err == nil && sa == a {
			return true
		}
	}
	return false
}

// execRecordUsage consumes value from a token. Authorisation, checked in
// this order so that an allowance is only spent when nothing else applies:
// the owner, an operator approved for (owner, class), an allowed service
// (class or iDAO policy), a member of msg.idao when the token belongs to
// that iDAO's treasury, and finally an allowance of at least amount (which
// is decremented). Usage for another iDAO than the class's runs under an
// active agreement, whose quota is used and whose price is paid by the
// signer: split_bps of it to the class's holders, the rest to the class's
// iDAO treasury.
func (k *Keeper) execRecordUsage(ctx *chain.Context, msg *MsgRecordUsage) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if !validMetric(msg.Metric) {
		return ErrInvalidUsage.Wrapf("metric %q: want 1 to %d bytes of a-z, 0-9, '_', '.', '-'", msg.Metric, MaxMetricLen)
	}
	if msg.Amount == 0 {
		return ErrInvalidAmount.Wrap("usage amount must be greater than zero")
	}
	t, err := k.Token(ctx, msg.Token)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, t); err != nil {
		return err
	}
	c := k.mustClass(ctx, t.Class)
	if err := refuseModuleMinted(c, "record usage of"); err != nil {
		return err
	}
	o := owner(t)

	if msg.Idao != 0 && !k.IDAO.IsMember(ctx, msg.Idao, signer) {
		return ErrUnauthorized.Wrapf("%s is not a member of iDAO %d and cannot record usage for it", signer, msg.Idao)
	}
	viaService := k.allowedService(ctx, c, signer)
	useAllowance := false
	switch {
	case signer == o, k.isOperator(ctx, o, c.Id, signer), viaService:
	case msg.Idao != 0 && o == k.IDAO.Treasury(msg.Idao):
	default:
		if k.allowance(ctx, t.Id, signer) < msg.Amount {
			return ErrUnauthorized.Wrapf("%s may not record usage of token %d: only its owner %s, an operator approved for class %d, "+
				"a holder of an allowance of at least %d, an allowed service of the class or of iDAO %d, "+
				"or a member of the iDAO whose treasury owns the token may", signer, t.Id, o, c.Id, msg.Amount, c.Idao)
		}
		useAllowance = true
	}
	policy := c.Policy
	if policy != nil && policy.Restricted && !viaService && msg.Idao == 0 {
		return ErrRestricted.Wrapf("class %d is restricted to iDAO %d, its allowed services and iDAOs with an agreement: "+
			"name the iDAO you record usage for", c.Id, c.Idao)
	}
	if msg.Amount > t.Value {
		return ErrQuotaExceeded.Wrapf("token %d has %d units left; usage of %d exceeds the quota", t.Id, t.Value, msg.Amount)
	}

	var price, toHolders uint64
	var agreement uint64
	if msg.Idao != 0 && msg.Idao != c.Idao {
		ag, err := k.IDAO.ActiveAgreement(ctx, c.Idao, msg.Idao, c.Id)
		if err != nil {
			return err
		}
		terms := ag.GetTerms()
		perUnit, err := tx.ParseBaseUnits(terms.GetPricePerUnit())
		if err != nil {
			return ErrInvalidAmount.Wrapf("agreement %d: price per unit: %v", ag.Id, err)
		}
		hi, lo := bits.Mul64(perUnit, msg.Amount)
		if hi != 0 {
			return ErrOverflow.Wrapf("agreement %d: %d units at %d ulaz each overflows 64 bits", ag.Id, msg.Amount, perUnit)
		}
		price = lo
		bps := terms.GetRevenueSplitBps()
		if bps > MaxBps {
			return ErrInvalidAmount.Wrapf("agreement %d: revenue split %d exceeds %d basis points", ag.Id, bps, MaxBps)
		}
		toHolders = accum.MulBps(price, bps)
		if have := k.Bank.Balance(ctx, signer); have < price {
			return ErrInsufficientFunds.Wrapf("%s has %d ulaz and cannot pay %d ulaz for %d units of class %d under agreement %d",
				signer, have, price, msg.Amount, c.Id, ag.Id)
		}
		if err := k.IDAO.UseAgreement(ctx, ag.Id, msg.Amount); err != nil {
			return err
		}
		agreement = ag.Id
	}

	if useAllowance {
		k.setAllowance(ctx, t.Id, signer, k.allowance(ctx, t.Id, signer)-msg.Amount)
	}
	if price > 0 {
		if toHolders > 0 {
			if err := k.SettleRevenue(ctx, signer, c.Id, toHolders); err != nil {
				return err
			}
			c = k.mustClass(ctx, c.Id) // settlement updated its revenue state
		}
		if rest := price - toHolders; rest > 0 {
			if err := k.Bank.Send(ctx, signer, k.IDAO.Treasury(c.Idao), rest); err != nil {
				return err
			}
		}
	}
	k.useValue(ctx, t, c, msg.Metric, msg.Amount)
	ctx.Emit(chain.Event("dat_usage",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("class", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("metric", msg.Metric),
		chain.Indexed("user", signer.String()),
		chain.Indexed("idao", strconv.FormatUint(msg.Idao, 10)),
		chain.Indexed("agreement", strconv.FormatUint(agreement, 10)),
		chain.Attr("amount", strconv.FormatUint(msg.Amount, 10)),
		chain.Attr("remaining", strconv.FormatUint(t.Value, 10)),
		chain.Attr("price", tx.FormatBaseUnits(price))))
	return nil
}

// useValue takes amount off token t's value (at most its value) and counts
// it as used under metric, in the token, its class c and the usage
// counters.
func (k *Keeper) useValue(ctx *chain.Context, t *Token, c *Class, metric string, amount uint64) {
	t.Value -= amount
	c.TotalValue -= amount
	c.Consumed += amount
	k.setToken(ctx, t)
	k.setClass(ctx, c)
	k.addUsage(ctx, t.Id, metric, amount)
}
