package app

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// txOutcome is what running one tx produced.
type txOutcome struct {
	err       error
	module    string // module of the failure, or of the first message on success
	gasWanted uint64
	gasUsed   uint64
	events    []abci.Event
}

func (o *txOutcome) result() *abci.ExecTxResult {
	space, code, log := codes.ABCI(o.err)
	return &abci.ExecTxResult{
		Code:      code,
		Codespace: space,
		Log:       log,
		GasWanted: clampGas(o.gasWanted),
		GasUsed:   clampGas(o.gasUsed),
		Events:    o.events,
	}
}

func clampGas(g uint64) int64 {
	if g > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(g)
}

// runTx decodes, checks and executes one tx over parent. A tx that fails
// before its fee is taken (decoding, limits, signature, nonce, fee) changes
// nothing. Once the fee is taken and the nonce advanced, those stick even
// if a message fails, so a failing tx still pays for the block space it
// used; the messages themselves apply all together or not at all.
func (a *App) runTx(parent store.KV, raw []byte, mode chain.Mode, height int64, t time.Time, blockHash []byte) (out txOutcome) {
	d, verified, err := a.decode(raw)
	if err != nil {
		out.err, out.module = err, "tx"
		return out
	}
	out.gasWanted = d.Body.Fee.GasLimit
	base := chain.NewContext(parent, a.chainID, height, t, mode, nil)
	base.BlockHash = blockHash
	params := a.Auth.Keeper.Params(base)
	if err := a.Auth.Keeper.CheckBasic(params, d, height); err != nil {
		out.err, out.module = err, "tx"
		return out
	}
	if mode != chain.ModeSimulate && !verified {
		if err := d.VerifySignature(a.chainID); err != nil {
			out.err, out.module = err, "tx"
			return out
		}
		a.txs.add(d)
	}
	for i, m := range d.Msgs {
		if err := a.checkMsg(i, m, d); err != nil {
			out.err, out.module = err, "tx"
			return out
		}
	}

	gas := store.NewGasMeter(d.Body.Fee.GasLimit)
	if mode == chain.ModeSimulate {
		gas = store.InfiniteGasMeter()
	}
	anteKV := store.NewCache(parent)
	ctx := base.WithKV(anteKV)
	ctx.Gas, ctx.Signer = gas, d.Signer
	if err := guard(func() error { return a.Auth.Keeper.Ante(ctx, params, d, mode == chain.ModeSimulate) }); err != nil {
		out.err, out.module, out.gasUsed = err, "auth", gas.Used()
		return out
	}
	anteKV.Write()
	out.events = ctx.Events()

	msgKV := store.NewCache(parent)
	mctx := ctx.WithKV(msgKV)
	out.module = a.routes[proto.MessageName(d.Msgs[0])].module
	err = guard(func() error {
		for i, m := range d.Msgs {
			name := proto.MessageName(m)
			r := a.routes[name]
			mctx.Emit(chain.Event("message", chain.Attr("module", r.module), chain.Indexed("action", string(name)),
				chain.Indexed("sender", d.Signer.String()), chain.Attr("index", strconv.Itoa(i))))
			if err := r.exec(mctx, m); err != nil {
				out.module = r.module
				return codes.Annotate(err, fmt.Sprintf("message %d (%s): ", i, name))
			}
		}
		return nil
	})
	out.gasUsed = gas.Used()
	if err != nil {
		out.err = err
		if errors.Is(err, tx.ErrOutOfGas) {
			out.module = "tx"
		}
		if out.gasUsed > out.gasWanted && mode != chain.ModeSimulate {
			out.gasUsed = out.gasWanted
		}
		return out
	}
	msgKV.Write()
	out.events = append(out.events, mctx.Events()...)
	return out
}

// checkMsg refuses a message no module handles, or one whose sender is not
// the tx's signer.
func (a *App) checkMsg(i int, m proto.Message, d *tx.Decoded) error {
	name := proto.MessageName(m)
	if _, ok := a.routes[name]; !ok {
		return tx.ErrUnknownMsg.Wrapf("message %d: no module handles %s", i, name)
	}
	from := m.(interface{ GetFrom() string }).GetFrom()
	addr, err := tx.ParseAddress(from)
	if err != nil {
		return tx.ErrMsgSigner.Wrapf("message %d (%s): from: %v", i, name, err)
	}
	if addr != d.Signer {
		return tx.ErrMsgSigner.Wrapf("message %d (%s) is from %s but the tx is signed by %s", i, name, addr, d.Signer)
	}
	return nil
}

// guard runs fn, turning an out-of-gas panic into tx.ErrOutOfGas and a
// handler bug into an internal error. A store failure is re-raised: the
// node must halt rather than commit a state it could not read or write.
func guard(fn func() error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch p := r.(type) {
		case *store.OutOfGas:
			err = tx.ErrOutOfGas.Wrapf("tx ran out of gas at %s: limit %d, needed at least %d; raise the gas limit", p.Descriptor, p.Limit, p.Wanted)
		case *store.Failure:
			panic(p)
		default:
			err = codes.Internal.Wrapf("panic while executing: %v", r)
		}
	}()
	return fn()
}
