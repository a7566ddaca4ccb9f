package dat

import (
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Key prefixes inside the module's store; see doc.go for the layout.
var (
	seqClassKey    = []byte("s/class")
	seqTokenKey    = []byte("s/token")
	classPrefix    = []byte("c/")
	tokenPrefix    = []byte("t/")
	childPrefix    = []byte("ch/")
	idaoPrefix     = []byte("ic/")
	classTokPrefix = []byte("ct/")
	ownerPrefix    = []byte("o/")
	expHPrefix     = []byte("eh/")
	expTPrefix     = []byte("et/")
	operatorPrefix = []byte("op/")
	allowPrefix    = []byte("al/")
	usagePrefix    = []byte("u/")
	proofPrefix    = []byte("p/")
)

// present is the value of index entries, whose key says everything. It is
// not empty, because stores may not tell an empty value from a missing one.
var present = []byte{1}

// key concatenates a prefix with raw parts.
func key(prefix []byte, parts ...[]byte) []byte { return store.Key(prefix, parts...) }

// be is an id as 8 bytes big-endian, so keys sort by id.
func be(v uint64) []byte { return store.EncodeUint64(v) }

func classKey(id uint64) []byte              { return key(classPrefix, be(id)) }
func tokenKey(id uint64) []byte              { return key(tokenPrefix, be(id)) }
func childKey(parent, child uint64) []byte   { return key(childPrefix, be(parent), be(child)) }
func idaoClassKey(idao, class uint64) []byte { return key(idaoPrefix, be(idao), be(class)) }
func classTokenKey(class, tok uint64) []byte { return key(classTokPrefix, be(class), be(tok)) }
func ownerKey(owner tx.Address, tok uint64) []byte {
	return key(ownerPrefix, owner[:], be(tok))
}
func expHeightKey(h, tok uint64) []byte { return key(expHPrefix, be(h), be(tok)) }
func expTimeKey(t int64, tok uint64) []byte {
	return key(expTPrefix, be(uint64(t)), be(tok))
}
func operatorKey(owner tx.Address, class uint64, op tx.Address) []byte {
	return key(operatorPrefix, owner[:], be(class), op[:])
}
func allowanceKey(tok uint64, op tx.Address) []byte { return key(allowPrefix, be(tok), op[:]) }
func usageKey(tok uint64, metric string) []byte     { return key(usagePrefix, be(tok), []byte(metric)) }
func proofKey(class, index uint64) []byte           { return key(proofPrefix, be(class), be(index)) }
