package idao

import (
	"sort"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Known policy keys.
const (
	PolicyDefaultDATPrice = "default_dat_price"
	PolicyRevenueSplitBps = "revenue_split_bps"
	PolicyAllowedServices = "allowed_services"
	PolicyQuorumBps       = "quorum_bps"
	PolicyVotingPeriod    = "voting_period"
)

// PolicyExtensionPrefix starts the keys of free-text application policies.
const PolicyExtensionPrefix = "x-"

// Policy value types.
const (
	TypeAmount    = "amount"
	TypeBps       = "bps"
	TypeBlocks    = "blocks"
	TypeAddresses = "addresses"
	TypeText      = "text"
)

// PolicySpec describes a known policy key: its type, default and the range
// of numbers it accepts.
type PolicySpec struct {
	Key      string
	Type     string
	Default  string
	Min, Max uint64
}

// PolicySpecs are the known policy keys, sorted by key.
var PolicySpecs = []PolicySpec{
	{Key: PolicyAllowedServices, Type: TypeAddresses, Default: ""},
	{Key: PolicyDefaultDATPrice, Type: TypeAmount, Default: "0"},
	{Key: PolicyQuorumBps, Type: TypeBps, Default: "5001", Min: 1, Max: 10000},
	{Key: PolicyRevenueSplitBps, Type: TypeBps, Default: "10000", Min: 0, Max: 10000},
	{Key: PolicyVotingPeriod, Type: TypeBlocks, Default: "100", Min: 1, Max: 1_000_000},
}

func policySpec(k string) (PolicySpec, bool) {
	i := sort.Search(len(PolicySpecs), func(i int) bool { return PolicySpecs[i].Key >= k })
	if i < len(PolicySpecs) && PolicySpecs[i].Key == k {
		return PolicySpecs[i], true
	}
	return PolicySpec{}, false
}

func knownPolicyKeys() string {
	names := make([]string, len(PolicySpecs))
	for i, s := range PolicySpecs {
		names[i] = s.Key
	}
	return strings.Join(names, ", ") + ` or "x-<name>"`
}

// NormalizePolicy checks a policy value and returns it in the form stored:
// numbers without leading zeros, addresses in EIP-55 form sorted by their
// bytes. An empty value is returned as is (it resets the key).
func NormalizePolicy(k, v string) (string, error) {
	if name, ok := strings.CutPrefix(k, PolicyExtensionPrefix); ok {
		if len(name) == 0 || len(name) > MaxPolicyExtensionLen {
			return "", ErrInvalidPolicy.Wrapf("policy key %q: the name after %q must have 1 to %d characters", k, PolicyExtensionPrefix, MaxPolicyExtensionLen)
		}
		for i := 0; i < len(name); i++ {
			if !nameChar(name[i]) {
				return "", ErrInvalidPolicy.Wrapf("policy key %q: use only a-z, 0-9, '-' and '_' after %q", k, PolicyExtensionPrefix)
			}
		}
		if len(v) > MaxPolicyTextLen {
			return "", ErrInvalidPolicy.Wrapf("policy %s: value has %d bytes; at most %d are allowed", k, len(v), MaxPolicyTextLen)
		}
		return v, nil
	}
	spec, ok := policySpec(k)
	if !ok {
		return "", ErrInvalidPolicy.Wrapf("unknown policy key %q; known keys are %s", k, knownPolicyKeys())
	}
	if v == "" {
		return "", nil
	}
	switch spec.Type {
	case TypeAmount:
		n, err := tx.ParseBaseUnits(v)
		if err != nil {
			return "", ErrInvalidPolicy.Wrapf("policy %s: %v", k, err)
		}
		return tx.FormatBaseUnits(n), nil
	case TypeBps, TypeBlocks:
		n, err := tx.ParseBaseUnits(v)
		if err != nil || n < spec.Min || n > spec.Max {
			return "", ErrInvalidPolicy.Wrapf("policy %s: %q is not a whole number from %d to %d", k, v, spec.Min, spec.Max)
		}
		return strconv.FormatUint(n, 10), nil
	case TypeAddresses:
		parts := strings.Split(v, ",")
		addrs := make([]tx.Address, len(parts))
		for i, p := range parts {
			a, err := tx.ParseAddress(strings.TrimSpace(p))
			if err != nil {
				return "", ErrInvalidPolicy.Wrapf("policy %s: entry %d: %v", k, i+1, err)
			}
			addrs[i] = a
		}
		sort.Slice(addrs, func(i, j int) bool { return addrs[i].Compare(addrs[j]) < 0 })
		out := make([]string, len(addrs))
		for i, a := range addrs {
			if i > 0 && addrs[i-1] == a {
				return "", ErrInvalidPolicy.Wrapf("policy %s: %s is listed twice", k, a)
			}
			out[i] = a.String()
		}
		return strings.Join(out, ","), nil
	}
	panic("idao: policy " + k + " has unknown type " + spec.Type)
}

// Policy returns iDAO id's value for key, or the key's default when the
// iDAO has not set it ("" for unknown and unset "x-" keys).
func (k *Keeper) Policy(ctx *chain.Context, id uint64, pkey string) string {
	if bz := ctx.Store(Name).Get(key(prefixPolicy, id, pkey)); bz != nil {
		return string(bz)
	}
	spec, _ := policySpec(pkey)
	return spec.Default
}

// policyUint reads a numeric policy. Stored values were validated, so a
// value that does not parse is a broken invariant.
func (k *Keeper) policyUint(ctx *chain.Context, id uint64, pkey string) uint64 {
	v := k.Policy(ctx, id, pkey)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		panic("idao: stored policy " + pkey + " is not a number: " + v)
	}
	return n
}

// setPolicy validates and stores a policy; an empty value deletes it.
func (k *Keeper) setPolicy(ctx *chain.Context, id uint64, pkey, value string) error {
	v, err := NormalizePolicy(pkey, value)
	if err != nil {
		return err
	}
	if _, err := k.Get(ctx, id); err != nil {
		return err
	}
	kv := ctx.Store(Name)
	if v == "" {
		kv.Delete(key(prefixPolicy, id, pkey))
	} else {
		kv.Set(key(prefixPolicy, id, pkey), []byte(v))
	}
	ctx.Emit(chain.Event("idao_policy", chain.Indexed("idao", fmtID(id)), chain.Indexed("key", pkey), chain.Attr("value", v)))
	return nil
}

// policies lists every known policy of iDAO id (with its default flag) and
// then the "x-" keys it set, in key order.
func (k *Keeper) policies(ctx *chain.Context, id uint64) []*PolicyValue {
	var out []*PolicyValue
	kv := ctx.Store(Name)
	for _, s := range PolicySpecs {
		bz := kv.Get(key(prefixPolicy, id, s.Key))
		if bz == nil {
			out = append(out, &PolicyValue{Key: s.Key, Value: s.Default, Type: s.Type, Default: true})
		} else {
			out = append(out, &PolicyValue{Key: s.Key, Value: string(bz), Type: s.Type})
		}
	}
	p := key(prefixPolicy, id, PolicyExtensionPrefix)
	store.Each(kv, p, store.PrefixEnd(p), func(kk, v []byte) bool {
		out = append(out, &PolicyValue{Key: string(kk[len(prefixPolicy)+8:]), Value: string(v), Type: TypeText})
		return true
	})
	return out
}

// setPolicies lists the keys iDAO id has set, with their values, in key order.
func (k *Keeper) setPolicies(ctx *chain.Context, id uint64) map[string]string {
	out := map[string]string{}
	p := key(prefixPolicy, id)
	store.Each(ctx.Store(Name), p, store.PrefixEnd(p), func(kk, v []byte) bool {
		out[string(kk[len(p):])] = string(v)
		return true
	})
	return out
}
