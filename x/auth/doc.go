// Package auth decides whether a signed tx may run at all: it holds each
// account's nonce and the chain's tx parameters (minimum gas price, size
// limits, gas schedule), and its ante check charges gas for the tx's bytes
// and signature, collects the fee through the bank and advances the nonce.
// The signature itself is verified by the application before auth runs.
//
// Keys (under "auth/"): "n/"+address → next nonce (8-byte big-endian),
// "params" → Params (protobuf).
package auth
