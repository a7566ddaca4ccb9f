package service

import (
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

func (k *Keeper) activeService(ctx *chain.Context, id uint64) (*Service, error) {
	s, err := k.Service(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Status != StatusActive {
		return nil, ErrPaused.Wrapf("service %d is %s and takes no new payments", s.Id, s.Status)
	}
	return s, nil
}

func (k *Keeper) execDeposit(ctx *chain.Context, msg *MsgDeposit) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	s, err := k.activeService(ctx, msg.Service)
	if err != nil {
		return err
	}
	amt, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	if amt == 0 {
		return ErrInvalidAmount.Wrap("deposit at least 1 ulaz")
	}
	if err := k.Bank.Send(ctx, from, EscrowAccount, amt); err != nil {
		return err
	}
	e := k.Escrow(ctx, from, s.Id)
	e.Balance = addAmount(e.Balance, amt)
	k.setEscrow(ctx, e)
	ctx.Emit(chain.Event("service_deposit",
		chain.Indexed("service", strconv.FormatUint(s.Id, 10)),
		chain.Indexed("consumer", from.String()),
		chain.Attr("amount", tx.FormatBaseUnits(amt)),
		chain.Attr("balance", e.Balance)))
	return nil
}

// execWithdraw schedules amount of the signer's escrow to be paid out
// withdraw_delay_blocks from now; a later withdrawal replaces an earlier
// one that has not been paid yet.
func (k *Keeper) execWithdraw(ctx *chain.Context, msg *MsgWithdraw) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if _, err := k.Service(ctx, msg.Service); err != nil {
		return err
	}
	amt, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	if amt == 0 {
		return ErrInvalidAmount.Wrap("withdraw at least 1 ulaz")
	}
	e := k.Escrow(ctx, from, msg.Service)
	bal := mustAmount(e.Balance)
	if amt > bal {
		return ErrInsufficient.Wrapf("withdraw %d ulaz: your escrow for service %d holds %d ulaz", amt, msg.Service, bal)
	}
	kv := k.kv(ctx)
	if e.UnlockHeight != 0 {
		kv.Delete(key(unlockPrefix, be(uint64(e.UnlockHeight)), from.Bytes(), be(e.Service)))
	}
	e.Unlocking = tx.FormatBaseUnits(amt)
	e.UnlockHeight = ctx.Height + int64(k.Params(ctx).WithdrawDelayBlocks)
	kv.Set(key(unlockPrefix, be(uint64(e.UnlockHeight)), from.Bytes(), be(e.Service)), present)
	k.setEscrow(ctx, e)
	ctx.Emit(chain.Event("service_withdraw",
		chain.Indexed("service", strconv.FormatUint(e.Service, 10)),
		chain.Indexed("consumer", from.String()),
		chain.Attr("amount", e.Unlocking),
		chain.Attr("unlock_height", strconv.FormatInt(e.UnlockHeight, 10))))
	return nil
}

// EndBlock pays out the withdrawals that unlock at this height: what
// receipts left of them.
func (k *Keeper) EndBlock(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	end := key(unlockPrefix, be(uint64(ctx.Height)+1))
	var due [][]byte
	store.Each(kv, unlockPrefix, end, func(kk, _ []byte) bool {
		due = append(due, append([]byte(nil), kk...))
		return true
	})
	for _, kk := range due {
		kv.Delete(kk)
		rest := kk[len(unlockPrefix)+8:]
		consumer, err := tx.AddressFromBytes(rest[:len(rest)-8])
		if err != nil {
			return fmt.Errorf("service: bad unlock key %x: %w", kk, err)
		}
		e := k.Escrow(ctx, consumer, store.DecodeUint64(rest[len(rest)-8:]))
		pay := min(mustAmount(e.Unlocking), mustAmount(e.Balance))
		if pay > 0 {
			if err := k.Bank.Send(ctx, EscrowAccount, consumer, pay); err != nil {
				return err
			}
		}
		e.Balance = tx.FormatBaseUnits(mustAmount(e.Balance) - pay)
		e.Unlocking, e.UnlockHeight = "0", 0
		k.setEscrow(ctx, e)
		ctx.Emit(chain.Event("service_withdrawn",
			chain.Indexed("service", strconv.FormatUint(e.Service, 10)),
			chain.Indexed("consumer", consumer.String()),
			chain.Attr("amount", tx.FormatBaseUnits(pay))))
	}
	return nil
}

// execBuyUsage sells usage value on the service's model class: the ulaz
// is held by the module and the value (one unit per ulaz) goes on a new
// token of the class, or on msg.Into.
func (k *Keeper) execBuyUsage(ctx *chain.Context, msg *MsgBuyUsage) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	s, err := k.activeService(ctx, msg.Service)
	if err != nil {
		return err
	}
	amt, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	if amt == 0 {
		return ErrInvalidAmount.Wrap("buy at least 1 ulaz of usage")
	}
	if err := k.Bank.Send(ctx, from, EscrowAccount, amt); err != nil {
		return err
	}
	token := msg.Into
	if token != 0 {
		t, err := k.DAT.Token(ctx, token)
		if err != nil {
			return err
		}
		if t.Class != s.ModelClass {
			return ErrInvalidService.Wrapf("token %d is of class %d; service %d serves class %d", t.Id, t.Class, s.Id, s.ModelClass)
		}
		if err := k.DAT.AddValue(ctx, token, from, amt); err != nil {
			return err
		}
	} else if token, err = k.DAT.Mint(ctx, s.ModelClass, from, amt, 0, 0, 0); err != nil {
		return err
	}
	k.kv(ctx).Set(key(usageClassPre, be(s.ModelClass)), present)
	ctx.Emit(chain.Event("service_buy",
		chain.Indexed("service", strconv.FormatUint(s.Id, 10)),
		chain.Indexed("consumer", from.String()),
		chain.Indexed("token", strconv.FormatUint(token, 10)),
		chain.Attr("class", strconv.FormatUint(s.ModelClass, 10)),
		chain.Attr("amount", tx.FormatBaseUnits(amt))))
	return nil
}
