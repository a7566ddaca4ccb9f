package compute

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/staking"
)

// Name is the module's name: its key prefix, codespace and genesis section.
const Name = "compute"

// The role an iDAO member needs to register its workers (idao.RoleComputeProvider).
const roleComputeProvider = "compute_provider"

// Worker statuses.
const (
	StatusActive  = "active"
	StatusRetired = "retired"
	StatusLapsed  = "lapsed"
)

var (
	// BondEscrow holds the bonds of registered workers.
	BondEscrow = tx.ModuleAddress("compute/bonds")
	// Slashed receives the part of bonds lost to missed deadlines: the
	// same account that receives validators' slashed stake, so every
	// slashed ulaz of the chain is in one place.
	Slashed = staking.SlashedAccount
)

// BankKeeper is what compute needs of the bank.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// IDAOKeeper is what compute needs of the idao module.
type IDAOKeeper interface {
	HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool
}

// Keeper executes the module's state transitions; its state lives under
// the module's store prefix.
type Keeper struct {
	Bank BankKeeper
	IDAO IDAOKeeper

	// The attestation verifier of the last parameters seen (see verifier).
	mu        sync.Mutex
	cachedKey []byte
	cached    *attest.Verifier
}

var (
	seqWorkerKey   = []byte("s/worker")
	workerPrefix   = []byte("w/")
	operatorPrefix = []byte("op/")
	hpkePrefix     = []byte("hk/")
	hashPrefix     = []byte("bh/")
	hashHPrefix    = []byte("bhh/")
	paramsKey      = []byte("params")
	present        = []byte{1}
)

func workerKey(id uint64) []byte { return store.Key(workerPrefix, store.EncodeUint64(id)) }

func (k *Keeper) kv(ctx *chain.Context) store.KV { return ctx.Store(Name) }

// DefaultParams are the parameters of a new chain: real AMD and Intel
// roots, no measurement allowed (genesis must list them), no dev
// attestation.
func DefaultParams() *Params {
	return &Params{
		SevRootsPem:        string(attest.DefaultSEVRootsPEM()),
		TdxRootsPem:        string(attest.DefaultTDXRootsPEM()),
		RegistrationBlocks: 100_000,
		MinBond:            "1000000",
		BlockHashWindow:    100,
		MissSlashBps:       500,
		AttestationGas:     200_000,
	}
}

// Params reads the module's parameters.
func (k *Keeper) Params(ctx *chain.Context) *Params {
	p := &Params{}
	if !chain.LoadRecord(ctx.StoreUnmetered(Name), paramsKey, p) {
		return DefaultParams()
	}
	return p
}

// validateParams checks parameters before they are stored.
func validateParams(p *Params) error {
	if _, err := tx.ParseBaseUnits(p.MinBond); err != nil {
		return ErrInvalidGenesis.Wrapf("min_bond %q: %v", p.MinBond, err)
	}
	for _, m := range p.Measurements {
		if b, err := hex.DecodeString(m); err != nil || len(b) != 48 {
			return ErrInvalidGenesis.Wrapf("measurement %q: want 96 hex digits (48 bytes)", m)
		}
	}
	if p.MinTdxTeeTcbSvn != "" {
		if b, err := hex.DecodeString(p.MinTdxTeeTcbSvn); err != nil || len(b) != 16 {
			return ErrInvalidGenesis.Wrapf("min_tdx_tee_tcb_svn %q: want 32 hex digits", p.MinTdxTeeTcbSvn)
		}
	}
	switch {
	case p.RegistrationBlocks == 0:
		return ErrInvalidGenesis.Wrap("registration_blocks must be at least 1")
	case p.BlockHashWindow == 0:
		return ErrInvalidGenesis.Wrap("block_hash_window must be at least 1")
	case p.MissSlashBps > 10000:
		return ErrInvalidGenesis.Wrapf("miss_slash_bps %d is above 10000", p.MissSlashBps)
	}
	return nil
}

// Policy is the attestation policy the parameters describe; clients use it to check workers themselves.
func Policy(p *Params) attest.Policy {
	pol := attest.Policy{
		SEVRootsPEM: []byte(p.SevRootsPem),
		TDXRootsPEM: []byte(p.TdxRootsPem),
		AllowDebug:  p.AllowDebug,
		MinSEVTCB:   p.MinSevTcb,
		Dev:         p.DevAttestation,
	}
	for _, m := range p.Measurements {
		b, _ := hex.DecodeString(m) // validated when stored
		pol.Measurements = append(pol.Measurements, b)
	}
	if p.MinTdxTeeTcbSvn != "" {
		pol.MinTDXTeeTCBSVN, _ = hex.DecodeString(p.MinTdxTeeTcbSvn)
	}
	return pol
}

// Worker reads a worker; ErrNotFound if there is none.
func (k *Keeper) Worker(ctx *chain.Context, id uint64) (*Worker, error) {
	w := &Worker{}
	if !chain.LoadRecord(k.kv(ctx), workerKey(id), w) {
		return nil, ErrNotFound.Wrapf("worker %d does not exist", id)
	}
	w.Status = statusAt(ctx, w)
	return w, nil
}

// statusAt is a worker's status at the context's height: a registration
// past its expiry has lapsed whatever is stored.
func statusAt(ctx *chain.Context, w *Worker) string {
	if w.Status == StatusActive && ctx.Height >= w.ExpiresHeight {
		return StatusLapsed
	}
	return w.Status
}

// Active says whether the worker may take jobs now.
func (k *Keeper) Active(ctx *chain.Context, w *Worker) bool {
	return statusAt(ctx, w) == StatusActive
}

func (k *Keeper) setWorker(ctx *chain.Context, w *Worker) {
	chain.SaveRecord(k.kv(ctx), workerKey(w.Id), w)
}

// Workers are every registered worker in id order, with their status at
// the context's height.
func (k *Keeper) Workers(ctx *chain.Context) []*Worker {
	var out []*Worker
	store.Each(k.kv(ctx), workerPrefix, store.PrefixEnd(workerPrefix), func(_, v []byte) bool {
		w := &Worker{}
		chain.DecodeRecord(v, w)
		w.Status = statusAt(ctx, w)
		out = append(out, w)
		return true
	})
	return out
}

// Bond is a worker's bond in ulaz.
func Bond(w *Worker) uint64 {
	b, err := tx.ParseBaseUnits(w.Bond)
	if err != nil {
		panic(fmt.Sprintf("compute: worker %d has a bad stored bond: %v", w.Id, err))
	}
	return b
}

// Operator is a worker's operator account.
func Operator(w *Worker) tx.Address {
	a, err := tx.ParseAddress(w.Operator)
	if err != nil {
		panic(fmt.Sprintf("compute: worker %d has a bad stored operator: %v", w.Id, err))
	}
	return a
}

// Slash takes bps of a worker's bond (rounded down) into the Slashed
// account and counts a missed duty. It returns the amount taken.
func (k *Keeper) Slash(ctx *chain.Context, id uint64, bps uint32, why string) (uint64, error) {
	w, err := k.Worker(ctx, id)
	if err != nil {
		return 0, err
	}
	bond := Bond(w)
	amount := bond / 10000 * uint64(bps)
	amount += bond % 10000 * uint64(bps) / 10000
	if amount > 0 {
		if err := k.Bank.Send(ctx, BondEscrow, Slashed, amount); err != nil {
			return 0, err
		}
	}
	slashed, _ := tx.ParseBaseUnits(w.Slashed)
	w.Bond = tx.FormatBaseUnits(bond - amount)
	w.Slashed = tx.FormatBaseUnits(slashed + amount)
	w.Missed++
	k.storeWorker(ctx, w)
	ctx.Emit(chain.Event("compute_slash",
		chain.Indexed("worker", strconv.FormatUint(id, 10)),
		chain.Attr("amount", tx.FormatBaseUnits(amount)),
		chain.Attr("bond", w.Bond),
		chain.Attr("reason", why)))
	return amount, nil
}

// storeWorker saves a worker read through Worker, keeping its stored
// status (a lapsed worker is stored as active until renewed or retired).
func (k *Keeper) storeWorker(ctx *chain.Context, w *Worker) {
	if w.Status == StatusLapsed {
		w.Status = StatusActive
	}
	k.setWorker(ctx, w)
}

// AddOpenJobs changes a worker's count of unfinished assignments by delta.
func (k *Keeper) AddOpenJobs(ctx *chain.Context, id uint64, delta int) {
	w, err := k.Worker(ctx, id)
	if err != nil {
		panic(fmt.Sprintf("compute: broken invariant: %v", err))
	}
	switch {
	case delta >= 0:
		w.OpenJobs += uint64(delta)
	case w.OpenJobs < uint64(-delta):
		panic(fmt.Sprintf("compute: worker %d open jobs %d would go below zero", id, w.OpenJobs))
	default:
		w.OpenJobs -= uint64(-delta)
	}
	k.storeWorker(ctx, w)
}

// recordBlockHash remembers the block's hash for attestations to bind, and
// forgets the one that left the window.
func (k *Keeper) recordBlockHash(ctx *chain.Context) {
	if len(ctx.BlockHash) == 0 {
		return
	}
	kv := ctx.StoreUnmetered(Name)
	kv.Set(store.Key(hashPrefix, ctx.BlockHash), store.EncodeUint64(uint64(ctx.Height)))
	kv.Set(store.Key(hashHPrefix, store.EncodeUint64(uint64(ctx.Height))), append([]byte(nil), ctx.BlockHash...))
	window := int64(k.Params(ctx).BlockHashWindow)
	if old := ctx.Height - window; old > 0 {
		hk := store.Key(hashHPrefix, store.EncodeUint64(uint64(old)))
		if h := kv.Get(hk); h != nil {
			kv.Delete(store.Key(hashPrefix, h))
			kv.Delete(hk)
		}
	}
}

// recentBlock checks that hash is one of the chain's recent block hashes.
func (k *Keeper) recentBlock(ctx *chain.Context, hexHash string) ([]byte, error) {
	h, err := hex.DecodeString(hexHash)
	if err != nil || len(h) != 32 {
		return nil, ErrStaleBlockHash.Wrapf("block hash %q: want 64 hex digits", hexHash)
	}
	v := k.kv(ctx).Get(store.Key(hashPrefix, h))
	if v == nil {
		return nil, ErrStaleBlockHash.Wrapf("block hash %s is not among the last %d blocks' hashes: attest again against a recent block",
			hexHash, k.Params(ctx).BlockHashWindow)
	}
	return h, nil
}
