package bank

import (
	"encoding/binary"
	"math"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
)

// Name is the module's name, key prefix and codespace.
const Name = "bank"

// Errors of the bank module.
var (
	ErrInsufficientFunds = codes.Register(Name, 2, "insufficient funds")
	ErrInvalidAddress    = codes.Register(Name, 3, "invalid address")
	ErrInvalidAmount     = codes.Register(Name, 4, "invalid amount")
	ErrOverflow          = codes.Register(Name, 5, "amount overflows")
	ErrInvalidGenesis    = codes.Register(Name, 6, "invalid genesis")
)

// FeeCollector is the account that receives tx fees. No key controls it.
var FeeCollector = tx.ModuleAddress("fee_collector")

var supplyKey = []byte("supply")

func balanceKey(a tx.Address) []byte {
	k := make([]byte, 2+tx.AddressLen)
	copy(k, "b/")
	copy(k[2:], a[:])
	return k
}

// BalanceStoreKey is the full state key of an account's balance, for proofs.
func BalanceStoreKey(a tx.Address) []byte { return append([]byte(Name+"/"), balanceKey(a)...) }

// SupplyStoreKey is the full state key of the total supply, for proofs.
func SupplyStoreKey() []byte { return append([]byte(Name+"/"), supplyKey...) }

// DecodeAmount reads a stored 8-byte big-endian amount; absent is zero.
func DecodeAmount(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	if len(b) != 8 {
		panic("bank: stored amount is not 8 bytes")
	}
	return binary.BigEndian.Uint64(b)
}

func encodeAmount(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// Keeper reads and writes balances. It is stateless: all state is in the
// context's store, so one Keeper serves every context.
type Keeper struct{}

// Balance is an account's balance in ulaz.
func (Keeper) Balance(ctx *chain.Context, a tx.Address) uint64 {
	return DecodeAmount(ctx.Store(Name).Get(balanceKey(a)))
}

func (Keeper) setBalance(ctx *chain.Context, a tx.Address, v uint64) {
	kv := ctx.Store(Name)
	if v == 0 {
		kv.Delete(balanceKey(a))
		return
	}
	kv.Set(balanceKey(a), encodeAmount(v))
}

// Supply is the total supply in ulaz.
func (Keeper) Supply(ctx *chain.Context) uint64 {
	return DecodeAmount(ctx.Store(Name).Get(supplyKey))
}

// Send moves amount from one account to another.
func (k Keeper) Send(ctx *chain.Context, from, to tx.Address, amount uint64) error {
	if err := k.move(ctx, from, to, amount, "send"); err != nil {
		return err
	}
	ctx.Emit(chain.Event("transfer", chain.Indexed("sender", from.String()), chain.Indexed("recipient", to.String()),
		chain.Attr("amount", tx.FormatBaseUnits(amount))))
	return nil
}

// CollectFee moves a tx fee from its payer to the fee collector.
func (k Keeper) CollectFee(ctx *chain.Context, payer tx.Address, amount uint64) error {
	if amount == 0 {
		return nil
	}
	if err := k.move(ctx, payer, FeeCollector, amount, "pay a fee of"); err != nil {
		return err
	}
	ctx.Emit(chain.Event("fee", chain.Attr("payer", payer.String()), chain.Attr("amount", tx.FormatBaseUnits(amount))))
	return nil
}

func (k Keeper) move(ctx *chain.Context, from, to tx.Address, amount uint64, what string) error {
	have := k.Balance(ctx, from)
	if have < amount {
		return ErrInsufficientFunds.Wrapf("%s has %d ulaz (%s) and cannot %s %d ulaz (%s)",
			from, have, tx.FormatAmount(have), what, amount, tx.FormatAmount(amount))
	}
	if from == to {
		return nil
	}
	got := k.Balance(ctx, to)
	if got > math.MaxUint64-amount {
		return ErrOverflow.Wrapf("crediting %d ulaz to %s would overflow its balance of %d ulaz", amount, to, got)
	}
	k.setBalance(ctx, from, have-amount)
	k.setBalance(ctx, to, got+amount)
	return nil
}
