package chain

import abci "github.com/cometbft/cometbft/abci/types"

// Attribute is one key/value of an event. Indexed attributes are written to
// CometBFT's tx index, so txs can be searched by them (tx_search with
// transfer.recipient='0x…'); every other attribute is still in the tx's
// result, but costs no index write.
type Attribute struct {
	Key, Value string
	Indexed    bool
}

// Attr is an attribute that is not indexed (amounts, counters).
func Attr(key, value string) Attribute { return Attribute{Key: key, Value: value} }

// Indexed is an attribute txs can be searched by (addresses, ids, actions).
func Indexed(key, value string) Attribute { return Attribute{Key: key, Value: value, Indexed: true} }

// Event builds a typed ABCI event.
func Event(typ string, attrs ...Attribute) abci.Event {
	out := make([]abci.EventAttribute, len(attrs))
	for i, a := range attrs {
		out[i] = abci.EventAttribute{Key: a.Key, Value: a.Value, Index: a.Indexed}
	}
	return abci.Event{Type: typ, Attributes: out}
}
