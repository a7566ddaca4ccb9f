// Package tx defines what a LazChain transaction is on the wire and how it is
// signed: 0x addresses derived as Ethereum derives them, secp256k1 keys,
// the sign bytes that bind a body to one chain, LAZ amounts, and decoding
// with the checks every node applies before a tx reaches a module.
//
// The protobuf types (Tx, TxBody, Fee) are generated from
// proto/lazchain/tx/v1/tx.proto; regenerate them with `make proto`.
package tx

//go:generate sh -c "cd .. && go run github.com/bufbuild/buf/cmd/buf@v1.50.0 generate"
