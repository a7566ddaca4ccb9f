// Package bank is the LAZ ledger: balances in ulaz, transfers, fee
// collection and the total supply. Its invariant is conservation: the
// balances of all accounts, the fee collector included, add up to the
// supply, exactly, after every block.
//
// Keys (under "bank/"): "b/"+address → balance (8-byte big-endian),
// "supply" → total supply.
package bank
