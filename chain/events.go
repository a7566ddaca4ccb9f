package chain

import abci "github.com/cometbft/cometbft/abci/types"

// Event builds a typed ABCI event from alternating attribute keys and values.
// Every attribute is indexed, so a tx can be found by any of them
// (e.g. transfer.recipient='0x…').
func Event(typ string, kv ...string) abci.Event {
	if len(kv)%2 != 0 {
		panic("chain.Event: odd number of key/value strings")
	}
	attrs := make([]abci.EventAttribute, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		attrs = append(attrs, abci.EventAttribute{Key: kv[i], Value: kv[i+1], Index: true})
	}
	return abci.Event{Type: typ, Attributes: attrs}
}
