package flow

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// Name is the module's name: its key prefix, codespace and genesis section.
const Name = "flow"

// Contribution statuses.
const (
	StatusVerifying = "verifying"
	StatusAnchored  = "anchored"
	StatusRejected  = "rejected"
	StatusStalled   = "stalled"
	StatusRefunded  = "refunded"
	StatusRevoked   = "revoked"
)

// Assignment statuses.
const (
	AssignPending  = "pending"
	AssignReported = "reported"
	AssignMissed   = "missed"
	AssignClosed   = "closed"
)

// Verdicts a worker may report.
const (
	VerdictAccept = "accept"
	VerdictReject = "reject"
)

// Bounds on what messages carry.
const (
	MaxNameLen     = 64
	MaxSchemaLen   = 16 << 10
	MaxGrants      = 64
	MaxWrappedLen  = 256
	MaxReasonLen   = 256
	MaxQuorum      = 16
	MaxKNN         = 100
	MaxDeadline    = 100_000
	MaxRounds      = 10
	DefaultKNN     = 5
	DefaultDupPPM  = 800_000
	DefaultRounds  = 3
	PPM            = 1_000_000
	roleAdmin      = idao.RoleAdmin
	proofPolicyTEE = "tee"
)

// FeeEscrow holds the verifier fees of contributions whose jobs are open.
var FeeEscrow = tx.ModuleAddress("flow/fees")

// BankKeeper is what flow needs of the bank.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// IDAOKeeper is what flow needs of the idao module.
type IDAOKeeper interface {
	Get(ctx *chain.Context, id uint64) (*idao.IDAO, error)
	HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool
}

// DATKeeper is what flow needs of the dat module.
type DATKeeper interface {
	CreateClass(ctx *chain.Context, creator tx.Address, msg *dat.MsgCreateClass) (uint64, error)
	Class(ctx *chain.Context, id uint64) (*dat.Class, error)
	Mint(ctx *chain.Context, class uint64, to tx.Address, value, shareRatio, expireAtHeight uint64, expireAtTime int64) (uint64, error)
	SetIntegrityHash(ctx *chain.Context, token uint64, hashHex string) error
	AddProof(ctx *chain.Context, submitter tx.Address, c *dat.Class, token uint64, typ, uri, digestHex string) error
	SetMinter(ctx *chain.Context, class uint64, module string) error
	SetPerformance(ctx *chain.Context, class uint64, metric string, ppm uint32) error
}

// ComputeKeeper is what flow needs of the compute module.
type ComputeKeeper interface {
	Worker(ctx *chain.Context, id uint64) (*compute.Worker, error)
	Workers(ctx *chain.Context) []*compute.Worker
	Active(ctx *chain.Context, w *compute.Worker) bool
	Params(ctx *chain.Context) *compute.Params
	Slash(ctx *chain.Context, id uint64, bps uint32, why string) (uint64, error)
	AddOpenJobs(ctx *chain.Context, id uint64, delta int)
}

// Keeper executes the module's state transitions; its state lives under
// the module's store prefix.
type Keeper struct {
	Bank    BankKeeper
	IDAO    IDAOKeeper
	DAT     DATKeeper
	Compute ComputeKeeper
}

var (
	seqPoolKey    = []byte("s/pool")
	seqContribKey = []byte("s/contribution")
	seqJobKey     = []byte("s/job")
	poolPrefix    = []byte("p/")
	contribPrefix = []byte("c/")
	poolCPrefix   = []byte("pc/")
	userCPrefix   = []byte("uc/")
	cipherPrefix  = []byte("ch/")
	anchorPrefix  = []byte("pa/")
	deadlinePref  = []byte("dl/")
	assignPrefix  = []byte("wa/")
	grantPrefix   = []byte("gw/")
	present       = []byte{1}
)

func key(prefix []byte, parts ...[]byte) []byte { return store.Key(prefix, parts...) }

func be(v uint64) []byte { return store.EncodeUint64(v) }

func (k *Keeper) kv(ctx *chain.Context) store.KV { return ctx.Store(Name) }

// Pool reads a pool; ErrNotFound if there is none.
func (k *Keeper) Pool(ctx *chain.Context, id uint64) (*Pool, error) {
	p := &Pool{}
	if !chain.LoadRecord(k.kv(ctx), key(poolPrefix, be(id)), p) {
		return nil, ErrNotFound.Wrapf("pool %d does not exist", id)
	}
	return p, nil
}

func (k *Keeper) setPool(ctx *chain.Context, p *Pool) {
	chain.SaveRecord(k.kv(ctx), key(poolPrefix, be(p.Id)), p)
}

// Contribution reads a contribution; ErrNotFound if there is none.
func (k *Keeper) Contribution(ctx *chain.Context, id uint64) (*Contribution, error) {
	c := &Contribution{}
	if !chain.LoadRecord(k.kv(ctx), key(contribPrefix, be(id)), c) {
		return nil, ErrNotFound.Wrapf("contribution %d does not exist", id)
	}
	return c, nil
}

func (k *Keeper) setContribution(ctx *chain.Context, c *Contribution) {
	chain.SaveRecord(k.kv(ctx), key(contribPrefix, be(c.Id)), c)
}

func parseAddr(field, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return a, nil
}

// mustAddr reads an address the state stored.
func mustAddr(s string) tx.Address {
	a, err := tx.ParseAddress(s)
	if err != nil {
		panic(fmt.Sprintf("flow: bad stored address %q: %v", s, err))
	}
	return a
}

func mustAmount(s string) uint64 {
	v, err := tx.ParseBaseUnits(s)
	if err != nil {
		panic(fmt.Sprintf("flow: bad stored amount %q: %v", s, err))
	}
	return v
}

// hexN checks that s is n bytes of lower-case hex.
func hexN(s string, n int) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == n && hex.EncodeToString(b) == s
}

// ResultDomain separates result signatures from every other signature.
const ResultDomain = "lazchain/flow/attest/v1"

// ResultSignBytes are the bytes a worker's enclave key signs for a result:
// the domain, then chain id, pool, contribution, job, worker, verdict,
// score, validity, uniqueness, value and reason, each length-prefixed or
// fixed-width. Any other chain, pool, contribution, job or worker gives
// other bytes.
func ResultSignBytes(chainID string, m *MsgAttest) []byte {
	var b []byte
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(ResultDomain)
	str(chainID)
	b = binary.BigEndian.AppendUint64(b, m.Pool)
	b = binary.BigEndian.AppendUint64(b, m.Contribution)
	b = binary.BigEndian.AppendUint64(b, m.Job)
	b = binary.BigEndian.AppendUint64(b, m.Worker)
	str(m.Verdict)
	b = binary.BigEndian.AppendUint32(b, m.ScorePpm)
	b = binary.BigEndian.AppendUint32(b, m.ValidityPpm)
	b = binary.BigEndian.AppendUint32(b, m.UniquenessPpm)
	b = binary.BigEndian.AppendUint32(b, m.ValuePpm)
	str(m.Reason)
	return b
}

// SignResult signs a result with an enclave's ed25519 key and sets its
// signature.
func SignResult(chainID string, m *MsgAttest, key ed25519.PrivateKey) {
	m.Signature = hex.EncodeToString(ed25519.Sign(key, ResultSignBytes(chainID, m)))
}

// resultDigest is the SHA-256 of a result's signed bytes and signature.
func resultDigest(chainID string, m *MsgAttest) string {
	h := sha256.New()
	h.Write(ResultSignBytes(chainID, m))
	h.Write([]byte(m.Signature))
	return hex.EncodeToString(h.Sum(nil))
}
