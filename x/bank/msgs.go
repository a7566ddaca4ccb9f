package bank

import (
	"errors"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/tx"
)

func (k Keeper) execSend(ctx *chain.Context, msg *MsgSend) error {
	from, err := tx.ParseAddress(msg.From)
	if err != nil {
		return ErrInvalidAddress.Wrapf("sender: %v", err)
	}
	to, err := tx.ParseAddress(msg.To)
	if err != nil {
		return ErrInvalidAddress.Wrapf("recipient: %v", err)
	}
	amount, err := ParseAmount(msg.Amount)
	if err != nil {
		return err
	}
	return k.Send(ctx, from, to, amount)
}

// ParseAmount reads a message's amount of ulaz, which must be above zero.
func ParseAmount(s string) (uint64, error) {
	v, err := tx.ParseBaseUnits(s)
	if errors.Is(err, tx.ErrOverflow) {
		return 0, ErrOverflow.Wrap(err.Error())
	}
	if err != nil {
		return 0, ErrInvalidAmount.Wrap(err.Error())
	}
	if v == 0 {
		return 0, ErrInvalidAmount.Wrap("amount must be greater than zero")
	}
	return v, nil
}
