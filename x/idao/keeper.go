package idao

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Name is the module's key prefix, error codespace and genesis section.
const Name = "idao"

// Errors of the idao module.
var (
	ErrInvalidName        = codes.Register(Name, 2, "invalid iDAO name")
	ErrNameTaken          = codes.Register(Name, 3, "iDAO name taken")
	ErrNotFound           = codes.Register(Name, 4, "not found")
	ErrNotMember          = codes.Register(Name, 5, "not a member")
	ErrInvalidRole        = codes.Register(Name, 6, "invalid role")
	ErrInvalidPolicy      = codes.Register(Name, 7, "invalid policy")
	ErrInvalidProposal    = codes.Register(Name, 8, "invalid proposal")
	ErrProposalClosed     = codes.Register(Name, 9, "proposal closed")
	ErrVotingPeriod       = codes.Register(Name, 10, "outside the voting period")
	ErrInvalidVote        = codes.Register(Name, 11, "invalid vote")
	ErrLastAdmin          = codes.Register(Name, 12, "would leave no admin")
	ErrAlreadyMember      = codes.Register(Name, 13, "already a member")
	ErrTreasuryFunds      = codes.Register(Name, 14, "insufficient treasury funds")
	ErrInvalidAgreement   = codes.Register(Name, 15, "invalid agreement")
	ErrNoAgreement        = codes.Register(Name, 16, "no active agreement")
	ErrAgreementQuota     = codes.Register(Name, 17, "agreement quota exceeded")
	ErrInvalidGenesis     = codes.Register(Name, 18, "invalid genesis")
	ErrInvalidAddress     = codes.Register(Name, 19, "invalid address")
	ErrInvalidAmount      = codes.Register(Name, 20, "invalid amount")
	ErrInvalidDescription = codes.Register(Name, 21, "invalid description")
	ErrInvalidWeight      = codes.Register(Name, 22, "invalid weight")
)

// The roles a member can hold.
const (
	RoleAdmin           = "admin"
	RoleDataProvider    = "data_provider"
	RoleModelTrainer    = "model_trainer"
	RoleComputeProvider = "compute_provider"
	RoleAppDeveloper    = "app_developer"
	RoleValidator       = "validator"
)

// Roles lists every role, sorted.
var Roles = []string{RoleAdmin, RoleAppDeveloper, RoleComputeProvider, RoleDataProvider, RoleModelTrainer, RoleValidator}

// MaxWeight is the largest voting weight a member can have.
const MaxWeight uint64 = 1_000_000_000_000

// Limits on the sizes of names and texts.
const (
	MinNameLen            = 3
	MaxNameLen            = 64
	MaxDescriptionLen     = 1024
	MaxTitleLen           = 140
	MaxProposalDescLen    = 4096
	MaxActions            = 32
	MaxPolicyTextLen      = 256
	MaxPolicyExtensionLen = 32
)

// Proposal statuses as stored.
const (
	StatusOpen     = "open"
	StatusPassed   = "passed"
	StatusRejected = "rejected"
	StatusExpired  = "expired"
	StatusFailed   = "failed"
)

// Agreement statuses as stored.
const (
	AgreementOffered = "offered"
	AgreementActive  = "active"
)

// BankKeeper is what the module needs of the bank: moving LAZ out of a
// treasury and reading balances.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// ClassKeeper says which iDAO owns a DAT class (the dat module implements
// it), so an iDAO can only offer agreements on its own classes.
type ClassKeeper interface {
	ClassIDAO(ctx *chain.Context, class uint64) (idao uint64, ok bool)
}

// Keeper reads and writes the module's state. Other modules use it through
// interfaces of their own.
type Keeper struct {
	Bank    BankKeeper
	Classes ClassKeeper
	// Staking, when set, lets a proposal bond the treasury to a validator
	// iDAO (the bond_treasury action).
	Staking StakingKeeper
}

// StakingKeeper is what idao needs of the staking module.
type StakingKeeper interface {
	Delegate(ctx *chain.Context, delegator tx.Address, validator uint64, amount uint64) error
}

// TreasuryAddress is the account of iDAO id's treasury, which no key
// controls.
func TreasuryAddress(id uint64) tx.Address {
	return tx.ModuleAddress(fmt.Sprintf("idao/%d/treasury", id))
}

// Treasury is TreasuryAddress(id).
func (k *Keeper) Treasury(id uint64) tx.Address { return TreasuryAddress(id) }

// Key prefixes; see doc.go for the layout.
var (
	seqIDAOKey      = []byte("s/idao")
	seqAgreementKey = []byte("s/agreement")
	prefixIDAO      = []byte("i/")
	prefixName      = []byte("n/")
	prefixTreasury  = []byte("t/")
	prefixMember    = []byte("m/")
	prefixPolicy    = []byte("c/")
	prefixProposal  = []byte("p/")
	prefixVote      = []byte("v/")
	prefixExpiry    = []byte("e/")
	prefixQueue     = []byte("q/")
	prefixAgreement = []byte("a/")
	prefixParty     = []byte("g/")
	prefixActive    = []byte("x/")
)

// key joins a prefix with parts: uint64 and int64 as 8-byte big-endian,
// addresses as their 20 bytes, strings as their bytes.
func key(prefix []byte, parts ...any) []byte {
	k := append([]byte(nil), prefix...)
	for _, p := range parts {
		switch v := p.(type) {
		case uint64:
			k = binary.BigEndian.AppendUint64(k, v)
		case int64:
			k = binary.BigEndian.AppendUint64(k, uint64(v))
		case tx.Address:
			k = append(k, v[:]...)
		case string:
			k = append(k, v...)
		default:
			panic(fmt.Sprintf("idao: bad key part %T", p))
		}
	}
	return k
}

// Get returns iDAO id, or ErrNotFound.
func (k *Keeper) Get(ctx *chain.Context, id uint64) (*IDAO, error) {
	d := &IDAO{}
	if !chain.LoadRecord(ctx.Store(Name), key(prefixIDAO, id), d) {
		return nil, ErrNotFound.Wrapf("iDAO %d does not exist", id)
	}
	return d, nil
}

// ByName returns the iDAO called name, or ErrNotFound.
func (k *Keeper) ByName(ctx *chain.Context, name string) (*IDAO, error) {
	bz := ctx.Store(Name).Get(key(prefixName, name))
	if bz == nil {
		return nil, ErrNotFound.Wrapf("no iDAO is called %q", name)
	}
	return k.Get(ctx, store.DecodeUint64(bz))
}

func (k *Keeper) setIDAO(ctx *chain.Context, d *IDAO) {
	chain.SaveRecord(ctx.Store(Name), key(prefixIDAO, d.Id), d)
}

// Member returns a's membership of iDAO id, or ErrNotMember.
func (k *Keeper) Member(ctx *chain.Context, id uint64, a tx.Address) (*Member, error) {
	m := &Member{}
	if !chain.LoadRecord(ctx.Store(Name), key(prefixMember, id, a), m) {
		return nil, ErrNotMember.Wrapf("%s is not a member of %s", a, k.describe(ctx, id))
	}
	return m, nil
}

// describe names an iDAO in messages: "iDAO 3 (name)".
func (k *Keeper) describe(ctx *chain.Context, id uint64) string {
	d := &IDAO{}
	if !chain.LoadRecord(ctx.Store(Name), key(prefixIDAO, id), d) {
		return fmt.Sprintf("iDAO %d", id)
	}
	return fmt.Sprintf("iDAO %d (%s)", id, d.Name)
}

// IsMember reports whether a is a member of iDAO id.
func (k *Keeper) IsMember(ctx *chain.Context, id uint64, a tx.Address) bool {
	return ctx.Store(Name).Has(key(prefixMember, id, a))
}

// HasRole reports whether a is a member of iDAO id with role.
func (k *Keeper) HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool {
	m, err := k.Member(ctx, id, a)
	if err != nil {
		return false
	}
	return hasRole(m.Roles, role)
}

func hasRole(roles []string, role string) bool {
	i := sort.SearchStrings(roles, role)
	return i < len(roles) && roles[i] == role
}

// normalizeRoles checks roles and returns them sorted; duplicates, unknown
// roles and an empty list are refused.
func normalizeRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, ErrInvalidRole.Wrapf("a member needs at least one role (one of %s)", strings.Join(Roles, ", "))
	}
	out := append([]string(nil), roles...)
	sort.Strings(out)
	for i, r := range out {
		if !hasRole(Roles, r) {
			return nil, ErrInvalidRole.Wrapf("role %q is not one of %s", r, strings.Join(Roles, ", "))
		}
		if i > 0 && out[i-1] == r {
			return nil, ErrInvalidRole.Wrapf("role %q is listed twice", r)
		}
	}
	return out, nil
}

func checkWeight(w uint64) error {
	if w > MaxWeight {
		return ErrInvalidWeight.Wrapf("weight %d is above the maximum of %d", w, MaxWeight)
	}
	return nil
}

func validName(name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return ErrInvalidName.Wrapf("name %q has %d characters; want %d to %d", name, len(name), MinNameLen, MaxNameLen)
	}
	letter := false
	for i := 0; i < len(name); i++ {
		if !nameChar(name[i]) {
			return ErrInvalidName.Wrapf("name %q has %q at position %d; use only a-z, 0-9, '-' and '_'", name, name[i], i)
		}
		letter = letter || name[i] >= 'a' && name[i] <= 'z'
	}
	if !letter {
		// An all-digit name would read as an id wherever either is taken.
		return ErrInvalidName.Wrapf("name %q has no letter; it would be mistaken for an iDAO id", name)
	}
	return nil
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func parseAddress(what, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", what, err)
	}
	return a, nil
}

// present is the value of index keys: the store treats an empty value as
// absent.
var present = []byte{1}
