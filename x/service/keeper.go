package service

import (
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
)

// Name is the module's name: its key prefix, codespace and genesis section.
const Name = "service"

// Service statuses.
const (
	StatusActive = "active"
	StatusPaused = "paused"
)

// Bounds and constants.
const (
	MaxNameLen    = 64
	MaxWorkers    = 32
	MaxBps        = 10_000
	PolicyTEE     = "tee"
	UsageMetric   = "inference"
	maxLineage    = 256
	maxNonceBytes = 1 << 16
)

// EscrowAccount holds consumers' deposits and the ulaz behind every unit
// of model-class usage value bought.
var EscrowAccount = tx.ModuleAddress("service/escrow")

// Address is service id's account: what a class's allowed_services
// policy names to let the service use it.
func Address(id uint64) tx.Address { return tx.ModuleAddress("service/" + strconv.FormatUint(id, 10)) }

// BankKeeper is what the module needs of the bank.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// IDAOKeeper is what the module needs of the idao module.
type IDAOKeeper interface {
	Get(ctx *chain.Context, id uint64) (*idao.IDAO, error)
	HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool
	Treasury(id uint64) tx.Address
	ActiveAgreement(ctx *chain.Context, grantor, grantee, class uint64) (*idao.Agreement, error)
}

// DATKeeper is what the module needs of the dat module.
type DATKeeper interface {
	Class(ctx *chain.Context, id uint64) (*dat.Class, error)
	Token(ctx *chain.Context, id uint64) (*dat.Token, error)
	Mint(ctx *chain.Context, class uint64, to tx.Address, value, shareRatio, expireAtHeight uint64, expireAtTime int64) (uint64, error)
	AddValue(ctx *chain.Context, token uint64, user tx.Address, amount uint64) error
	ConsumeUsage(ctx *chain.Context, token uint64, user tx.Address, metric string, amount uint64) error
	SettleRevenue(ctx *chain.Context, payer tx.Address, class uint64, amount uint64) error
	AllowsService(ctx *chain.Context, c *dat.Class, a tx.Address) bool
}

// ComputeKeeper is what the module needs of the compute module.
type ComputeKeeper interface {
	Worker(ctx *chain.Context, id uint64) (*compute.Worker, error)
	Active(ctx *chain.Context, w *compute.Worker) bool
}

// FlowKeeper is what the module needs of the flow module.
type FlowKeeper interface {
	ModelByClass(ctx *chain.Context, class uint64) (*flow.Model, error)
}

// Keeper executes the module's state transitions.
type Keeper struct {
	Bank    BankKeeper
	IDAO    IDAOKeeper
	DAT     DATKeeper
	Compute ComputeKeeper
	Flow    FlowKeeper
}

var (
	paramsKey     = []byte("params")
	seqServiceKey = []byte("s/service")
	servicePrefix = []byte("v/")
	idaoSPrefix   = []byte("iv/")
	escrowPrefix  = []byte("e/")
	noncePrefix   = []byte("n/")
	unlockPrefix  = []byte("u/")
	usageClassPre = []byte("uc/")
	present       = []byte{1}
)

func key(prefix []byte, parts ...[]byte) []byte { return store.Key(prefix, parts...) }

func be(v uint64) []byte { return store.EncodeUint64(v) }

func (k *Keeper) kv(ctx *chain.Context) store.KV { return ctx.Store(Name) }

// DefaultParams are the parameters of a new chain.
func DefaultParams() *Params {
	return &Params{
		ProtocolFeeBps:      200,
		MaxReceipts:         4000,
		NonceWindow:         4096,
		WithdrawDelayBlocks: 100,
		ReceiptGas:          1000,
		MaxVoucherSeconds:   86_400,
	}
}

func validateParams(p *Params) error {
	switch {
	case p.ProtocolFeeBps > MaxBps:
		return ErrInvalidGenesis.Wrapf("protocol_fee_bps %d: at most %d", p.ProtocolFeeBps, MaxBps)
	case p.MaxReceipts == 0 || p.MaxReceipts > 100_000:
		return ErrInvalidGenesis.Wrapf("max_receipts %d: want 1 to 100000", p.MaxReceipts)
	case p.NonceWindow == 0 || p.NonceWindow%64 != 0 || p.NonceWindow/8 > maxNonceBytes:
		return ErrInvalidGenesis.Wrapf("nonce_window %d: want a positive multiple of 64, at most %d", p.NonceWindow, maxNonceBytes*8)
	case p.MaxVoucherSeconds <= 0:
		return ErrInvalidGenesis.Wrapf("max_voucher_seconds %d: want more than 0", p.MaxVoucherSeconds)
	}
	return nil
}

// Params reads the module's parameters.
func (k *Keeper) Params(ctx *chain.Context) *Params {
	p := &Params{}
	if !chain.LoadRecord(ctx.StoreUnmetered(Name), paramsKey, p) {
		return DefaultParams()
	}
	return p
}

// Service reads a service; ErrNotFound if there is none.
func (k *Keeper) Service(ctx *chain.Context, id uint64) (*Service, error) {
	s := &Service{}
	if !chain.LoadRecord(k.kv(ctx), key(servicePrefix, be(id)), s) {
		return nil, ErrNotFound.Wrapf("service %d does not exist", id)
	}
	return s, nil
}

func (k *Keeper) setService(ctx *chain.Context, s *Service) {
	chain.SaveRecord(k.kv(ctx), key(servicePrefix, be(s.Id)), s)
}

// Escrow reads a consumer's escrow for a service (zero if none).
func (k *Keeper) Escrow(ctx *chain.Context, consumer tx.Address, service uint64) *Escrow {
	e := &Escrow{}
	if !chain.LoadRecord(k.kv(ctx), key(escrowPrefix, consumer.Bytes(), be(service)), e) {
		return &Escrow{Consumer: consumer.String(), Service: service, Balance: "0", Unlocking: "0"}
	}
	return e
}

func (k *Keeper) setEscrow(ctx *chain.Context, e *Escrow) {
	kk := key(escrowPrefix, mustAddr(e.Consumer).Bytes(), be(e.Service))
	if mustAmount(e.Balance) == 0 && mustAmount(e.Unlocking) == 0 {
		k.kv(ctx).Delete(kk)
		return
	}
	chain.SaveRecord(k.kv(ctx), kk, e)
}

func parseAddr(field, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return a, nil
}

func mustAddr(s string) tx.Address {
	a, err := tx.ParseAddress(s)
	if err != nil {
		panic(fmt.Sprintf("service: bad stored address %q: %v", s, err))
	}
	return a
}

func mustAmount(s string) uint64 {
	v, err := tx.ParseBaseUnits(s)
	if err != nil {
		panic(fmt.Sprintf("service: bad stored amount %q: %v", s, err))
	}
	return v
}

func parseAmount(field, s string) (uint64, error) {
	v, err := tx.ParseBaseUnits(s)
	if err != nil {
		return 0, ErrInvalidAmount.Wrapf("%s %q: %v", field, s, err)
	}
	return v, nil
}

// addAmount adds to a decimal amount stored as a string; the sums it keeps
// (totals of a service) are bounded by the supply, which fits 64 bits.
func addAmount(s string, v uint64) string {
	if s == "" {
		return tx.FormatBaseUnits(v)
	}
	return tx.FormatBaseUnits(mustAmount(s) + v)
}
