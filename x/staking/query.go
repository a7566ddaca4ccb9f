package staking

import (
	"math"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// ValidatorQuery asks for one validator (/staking/validator).
type ValidatorQuery struct {
	IDAO uint64 `json:"idao"`
}

// ValidatorsQuery lists validators in iDAO order (/staking/validators).
type ValidatorsQuery struct {
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// DelegationsQuery lists the delegations of exactly one of a delegator (in
// iDAO order; After is an iDAO id in decimal) or an iDAO (in delegator
// address order; After is an address), with their pending rewards
// (/staking/delegations).
type DelegationsQuery struct {
	Delegator string `json:"delegator,omitempty"`
	IDAO      uint64 `json:"idao,omitempty"`
	After     string `json:"after,omitempty"`
	Limit     int    `json:"limit,omitempty"`
}

// UnbondingsQuery lists the unbonding entries of exactly one of a
// delegator or an iDAO, in entry id order (/staking/unbondings).
type UnbondingsQuery struct {
	Delegator string `json:"delegator,omitempty"`
	IDAO      uint64 `json:"idao,omitempty"`
	After     uint64 `json:"after,omitempty"`
	Limit     int    `json:"limit,omitempty"`
}

// Queries are the module's read paths under /staking/.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("params", func(ctx *chain.Context, _ struct{}) (*QueryParamsResponse, error) {
			return &QueryParamsResponse{Params: k.Params(ctx)}, nil
		}),
		chain.NewQuery("pool", func(ctx *chain.Context, _ struct{}) (*QueryPoolResponse, error) { return k.queryPool(ctx), nil }),
		chain.NewQuery("validator", func(ctx *chain.Context, q ValidatorQuery) (*QueryValidatorResponse, error) {
			v, err := k.Validator(ctx, q.IDAO)
			if err != nil {
				return nil, err
			}
			return &QueryValidatorResponse{Validator: v}, nil
		}),
		chain.NewQuery("validators", func(ctx *chain.Context, q ValidatorsQuery) (*QueryValidatorsResponse, error) {
			return k.queryValidators(ctx, q), nil
		}),
		chain.NewQuery("delegations", k.queryDelegations),
		chain.NewQuery("unbondings", k.queryUnbondings),
	}
}

func (k *Keeper) queryPool(ctx *chain.Context) *QueryPoolResponse {
	var unbonding uint64
	store.Each(k.kv(ctx), unbondingPrefix, store.PrefixEnd(unbondingPrefix), func(_, b []byte) bool {
		e := &UnbondingEntry{}
		chain.DecodeRecord(b, e)
		unbonding += e.Amount // bounded by the bonded escrow's balance
		return true
	})
	return &QueryPoolResponse{
		BondedTotal: k.BondedTotal(ctx), UnbondingTotal: unbonding, RewardsCarry: k.carry(ctx),
		BondedEscrow: BondedEscrow.String(), RewardsEscrow: RewardsEscrow.String(), SlashedAccount: SlashedAccount.String(),
	}
}

func (k *Keeper) queryValidators(ctx *chain.Context, q ValidatorsQuery) *QueryValidatorsResponse {
	n := chain.PageLimit(q.Limit)
	res := &QueryValidatorsResponse{Validators: []*ValidatorInfo{}}
	if q.After == math.MaxUint64 {
		return res
	}
	start := validatorKey(q.After + 1)
	if q.After == 0 {
		start = validatorPrefix
	}
	store.Each(k.kv(ctx), start, store.PrefixEnd(validatorPrefix), func(_, b []byte) bool {
		if len(res.Validators) == n {
			res.Next = res.Validators[n-1].Validator.Idao
			return false
		}
		v := &Validator{}
		chain.DecodeRecord(b, v)
		res.Validators = append(res.Validators, k.info(ctx, v))
		return true
	})
	return res
}

func (k *Keeper) delegationInfo(ctx *chain.Context, d *Delegation) *DelegationInfo {
	v := k.mustValidator(ctx, d.Idao)
	return &DelegationInfo{Delegation: d, Tokens: tokensOf(v, d.Shares), PendingRewards: pendingOf(d, v)}
}

func (k *Keeper) queryDelegations(ctx *chain.Context, q DelegationsQuery) (*QueryDelegationsResponse, error) {
	if (q.Delegator == "") == (q.IDAO == 0) {
		return nil, chain.ErrBadRequest.Wrap("delegations query: give exactly one of delegator or idao")
	}
	n := chain.PageLimit(q.Limit)
	res := &QueryDelegationsResponse{Delegations: []*DelegationInfo{}}
	kv := k.kv(ctx)
	if q.Delegator != "" {
		d, err := parseAddr("delegator", q.Delegator)
		if err != nil {
			return nil, err
		}
		prefix := key(delegatorPrefix, d[:])
		start := prefix
		if q.After != "" {
			after, err := strconv.ParseUint(q.After, 10, 64)
			if err != nil {
				return nil, chain.ErrBadRequest.Wrapf("delegations query: after must be an iDAO id when listing a delegator's delegations: %v", err)
			}
			if after == math.MaxUint64 {
				return res, nil
			}
			start = key(prefix, be(after+1))
		}
		store.Each(kv, start, store.PrefixEnd(prefix), func(kk, _ []byte) bool {
			if len(res.Delegations) == n {
				res.Next = strconv.FormatUint(res.Delegations[n-1].Delegation.Idao, 10)
				return false
			}
			del, ok := k.getDelegation(ctx, store.DecodeUint64(kk[len(kk)-8:]), d)
			if !ok {
				panic("staking: broken invariant: the delegator index names a missing delegation")
			}
			res.Delegations = append(res.Delegations, k.delegationInfo(ctx, del))
			return true
		})
		return res, nil
	}
	prefix := key(delegationPrefix, be(q.IDAO))
	start := prefix
	if q.After != "" {
		a, err := parseAddr("after", q.After)
		if err != nil {
			return nil, err
		}
		start = append(key(prefix, a[:]), 0)
	}
	store.Each(kv, start, store.PrefixEnd(prefix), func(_, b []byte) bool {
		if len(res.Delegations) == n {
			res.Next = res.Delegations[n-1].Delegation.Delegator
			return false
		}
		d := &Delegation{}
		chain.DecodeRecord(b, d)
		res.Delegations = append(res.Delegations, k.delegationInfo(ctx, d))
		return true
	})
	return res, nil
}

func (k *Keeper) queryUnbondings(ctx *chain.Context, q UnbondingsQuery) (*QueryUnbondingsResponse, error) {
	if (q.Delegator == "") == (q.IDAO == 0) {
		return nil, chain.ErrBadRequest.Wrap("unbondings query: give exactly one of delegator or idao")
	}
	n := chain.PageLimit(q.Limit)
	res := &QueryUnbondingsResponse{Unbondings: []*UnbondingEntry{}}
	var ids []uint64
	if q.Delegator != "" {
		d, err := parseAddr("delegator", q.Delegator)
		if err != nil {
			return nil, err
		}
		ids = store.IDsUnder(k.kv(ctx), key(unbondDelPrefix, d[:]))
	} else {
		// Keyed by creation height, then id: ids rise with heights, so
		// they come in id order too.
		ids = store.IDsUnder(k.kv(ctx), key(unbondValPrefix, be(q.IDAO)))
	}
	for _, id := range ids {
		if id <= q.After {
			continue
		}
		if len(res.Unbondings) == n {
			res.Next = res.Unbondings[n-1].Id
			break
		}
		res.Unbondings = append(res.Unbondings, k.mustUnbonding(ctx, id))
	}
	return res, nil
}

// PendingRewards is what delegator could withdraw from validator id now,
// in ulaz (0 without a delegation).
func (k *Keeper) PendingRewards(ctx *chain.Context, delegator tx.Address, id uint64) uint64 {
	d, ok := k.getDelegation(ctx, id, delegator)
	if !ok {
		return 0
	}
	return pendingOf(d, k.mustValidator(ctx, id))
}
