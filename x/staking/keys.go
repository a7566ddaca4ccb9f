package staking

import (
	"math"

	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Key prefixes inside the module's store; see doc.go for the layout.
var (
	paramsKey         = []byte("params")
	seqUnbondingKey   = []byte("s/unbonding")
	bondedTotalKey    = []byte("s/tokens")
	carryKey          = []byte("s/carry")
	validatorPrefix   = []byte("v/")
	consAddrPrefix    = []byte("ca/")
	powerPrefix       = []byte("p/")
	lastSetPrefix     = []byte("ls/")
	jailedBlockPrefix = []byte("jb/")
	missedPrefix      = []byte("m/")
	delegationPrefix  = []byte("d/")
	delegatorPrefix   = []byte("dd/")
	unbondingPrefix   = []byte("u/")
	unbondValPrefix   = []byte("ui/")
	unbondDelPrefix   = []byte("ud/")
	unbondQueuePrefix = []byte("uq/")
	doubleSignPrefix  = []byte("ds/")
)

// present is the value of index entries, whose key says everything.
var present = []byte{1}

// key concatenates a prefix with raw parts.
func key(prefix []byte, parts ...[]byte) []byte { return store.Key(prefix, parts...) }

// be is an id as 8 bytes big-endian, so keys sort by id.
func be(v uint64) []byte { return store.EncodeUint64(v) }

// beHeight is a non-negative height as 8 bytes big-endian (negative
// heights, which never occur, sort as 0).
func beHeight(h int64) []byte { return be(uint64(max(h, 0))) }

func validatorKey(idao uint64) []byte           { return key(validatorPrefix, be(idao)) }
func consAddrKey(addr []byte) []byte            { return key(consAddrPrefix, addr) }
func lastSetKey(idao uint64) []byte             { return key(lastSetPrefix, be(idao)) }
func jailedBlockKey(idao uint64) []byte         { return key(jailedBlockPrefix, be(idao)) }
func missedKey(idao uint64) []byte              { return key(missedPrefix, be(idao)) }
func unbondingKey(id uint64) []byte             { return key(unbondingPrefix, be(id)) }
func doubleSignKey(h int64, idao uint64) []byte { return key(doubleSignPrefix, beHeight(h), be(idao)) }

// powerKey orders candidates by tokens, largest first, then by iDAO id.
func powerKey(tokens, idao uint64) []byte {
	return key(powerPrefix, be(math.MaxUint64-tokens), be(idao))
}

func delegationKey(idao uint64, d tx.Address) []byte { return key(delegationPrefix, be(idao), d[:]) }
func delegatorKey(d tx.Address, idao uint64) []byte  { return key(delegatorPrefix, d[:], be(idao)) }

func unbondValKey(idao uint64, created int64, id uint64) []byte {
	return key(unbondValPrefix, be(idao), beHeight(created), be(id))
}
func unbondDelKey(d tx.Address, id uint64) []byte { return key(unbondDelPrefix, d[:], be(id)) }
func unbondQueueKey(completion int64, id uint64) []byte {
	return key(unbondQueuePrefix, beHeight(completion), be(id))
}
