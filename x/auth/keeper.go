package auth

import (
	"encoding/binary"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
)

// Name is the module's name, key prefix and codespace.
const Name = "auth"

// Errors of the auth module.
var (
	ErrNonceUsed      = codes.Register(Name, 2, "nonce already used")
	ErrNonceAhead     = codes.Register(Name, 3, "nonce ahead of the account")
	ErrFeeTooLow      = codes.Register(Name, 4, "fee below the minimum")
	ErrCannotPayFee   = codes.Register(Name, 5, "cannot pay the fee")
	ErrInvalidGenesis = codes.Register(Name, 6, "invalid genesis")
	ErrInvalidAddress = codes.Register(Name, 7, "invalid address")
)

var paramsKey = []byte("params")

func nonceKey(a tx.Address) []byte {
	k := make([]byte, 2+tx.AddressLen)
	copy(k, "n/")
	copy(k[2:], a[:])
	return k
}

// NonceStoreKey is the full state key of an account's nonce, for proofs.
func NonceStoreKey(a tx.Address) []byte { return append([]byte(Name+"/"), nonceKey(a)...) }

// BankKeeper is what auth needs of the bank: taking the fee.
type BankKeeper interface {
	Balance(ctx *chain.Context, a tx.Address) uint64
	CollectFee(ctx *chain.Context, payer tx.Address, amount uint64) error
}

// Keeper holds nonces and parameters.
type Keeper struct {
	Bank BankKeeper
}

// Params reads the chain's tx parameters. The read is not metered: it is
// made before the tx's gas limit is trusted.
func (Keeper) Params(ctx *chain.Context) *Params {
	bz := ctx.StoreUnmetered(Name).Get(paramsKey)
	p := &Params{}
	if bz == nil {
		return DefaultParams()
	}
	if err := proto.Unmarshal(bz, p); err != nil {
		panic("auth: stored params do not decode: " + err.Error())
	}
	return p
}

// SetParams stores validated parameters.
func (Keeper) SetParams(ctx *chain.Context, p *Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		return err
	}
	ctx.StoreUnmetered(Name).Set(paramsKey, bz)
	return nil
}

// Nonce is the nonce the account's next tx must carry.
func (Keeper) Nonce(ctx *chain.Context, a tx.Address) uint64 {
	bz := ctx.Store(Name).Get(nonceKey(a))
	if bz == nil {
		return 0
	}
	return binary.BigEndian.Uint64(bz)
}

func (Keeper) setNonce(ctx *chain.Context, a tx.Address, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	ctx.Store(Name).Set(nonceKey(a), b[:])
}

// CheckBasic applies the limits that need no account state: size, message
// count, memo, timeout and fee form. It runs before the signature is
// verified, so oversized or expired txs cost the node nothing.
func (Keeper) CheckBasic(p *Params, d *tx.Decoded, height int64) error {
	if uint64(len(d.Raw)) > p.MaxTxBytes {
		return tx.ErrTooLarge.Wrapf("tx is %d bytes; the chain allows %d", len(d.Raw), p.MaxTxBytes)
	}
	if uint32(len(d.Msgs)) > p.MaxMsgs {
		return tx.ErrTooManyMsgs.Wrapf("tx has %d messages; the chain allows %d", len(d.Msgs), p.MaxMsgs)
	}
	if uint32(len(d.Body.Memo)) > p.MaxMemoBytes {
		return tx.ErrMemoTooLarge.Wrapf("memo is %d bytes; the chain allows %d", len(d.Body.Memo), p.MaxMemoBytes)
	}
	if th := d.Body.TimeoutHeight; th != 0 && height > th {
		return tx.ErrTimedOut.Wrapf("tx was valid until height %d; this is height %d", th, height)
	}
	if d.Body.Fee.GasLimit == 0 {
		return tx.ErrInvalidFee.Wrap("fee.gas_limit is 0: set a gas limit (a bank send uses about 30000)")
	}
	if _, err := tx.ParseBaseUnits(d.Body.Fee.Amount); err != nil {
		return tx.ErrInvalidFee.Wrapf("fee.amount: %v", err)
	}
	return nil
}

// Ante runs after the signature is verified: it charges gas for the tx's
// bytes and signature, checks the nonce, collects the fee and advances the
// nonce. In a simulation the fee is not checked.
func (k Keeper) Ante(ctx *chain.Context, p *Params, d *tx.Decoded, simulate bool) error {
	ctx.Gas.Consume(p.TxByteGas*uint64(len(d.Raw)), "tx bytes")
	ctx.Gas.Consume(p.SigVerifyGas, "signature")

	next := k.Nonce(ctx, d.Signer)
	switch n := d.Body.Nonce; {
	case n < next:
		return ErrNonceUsed.Wrapf("nonce %d of %s was already used: the account's next nonce is %d", n, d.Signer, next)
	case n > next:
		return ErrNonceAhead.Wrapf("nonce %d of %s is ahead: the account's next nonce is %d (txs must come in order, without gaps)", n, d.Signer, next)
	}

	if simulate {
		// A simulation has no fee yet (it is what the fee is computed
		// from), but the fee's reads and writes must still be charged: take
		// a stand-in of 1 ulaz from the scratch state it runs on.
		if k.Bank.Balance(ctx, d.Signer) > 0 {
			if err := k.Bank.CollectFee(ctx, d.Signer, 1); err != nil {
				return ErrCannotPayFee.Wrap(err.Error())
			}
		}
	} else {
		fee, _ := tx.ParseBaseUnits(d.Body.Fee.Amount)
		price, err := ParseGasPrice(p.MinGasPrice)
		if err != nil {
			panic("auth: stored min_gas_price is invalid: " + err.Error())
		}
		need, ok := RequiredFee(d.Body.Fee.GasLimit, price)
		if !ok {
			return tx.ErrInvalidFee.Wrapf("gas limit %d at %s ulaz/gas costs more than 2^64 ulaz", d.Body.Fee.GasLimit, p.MinGasPrice)
		}
		if fee < need {
			return ErrFeeTooLow.Wrapf("fee %d ulaz is below the minimum %d ulaz for gas limit %d at %s ulaz/gas",
				fee, need, d.Body.Fee.GasLimit, p.MinGasPrice)
		}
		if have := k.Bank.Balance(ctx, d.Signer); have < fee {
			return ErrCannotPayFee.Wrapf("%s has %d ulaz (%s) and cannot pay the fee of %d ulaz (%s)",
				d.Signer, have, tx.FormatAmount(have), fee, tx.FormatAmount(fee))
		}
		if err := k.Bank.CollectFee(ctx, d.Signer, fee); err != nil {
			return ErrCannotPayFee.Wrap(err.Error())
		}
	}
	k.setNonce(ctx, d.Signer, next+1)
	ctx.Emit(chain.Event("signer", chain.Indexed("address", d.Signer.String()), chain.Attr("nonce", formatUint(d.Body.Nonce))))
	return nil
}
