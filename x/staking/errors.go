package staking

import "github.com/lazchain/lazchain/codes"

// Errors of the staking module (codespace "staking").
var (
	ErrNotFound           = codes.Register(Name, 2, "not found")
	ErrUnauthorized       = codes.Register(Name, 3, "unauthorized")
	ErrInvalidAddress     = codes.Register(Name, 4, "invalid address")
	ErrInvalidAmount      = codes.Register(Name, 5, "invalid amount")
	ErrOverflow           = codes.Register(Name, 6, "amount overflows")
	ErrInvalidPubKey      = codes.Register(Name, 7, "invalid consensus key")
	ErrValidatorExists    = codes.Register(Name, 8, "validator exists")
	ErrPubKeyTaken        = codes.Register(Name, 9, "consensus key taken")
	ErrSelfBondTooLow     = codes.Register(Name, 10, "self-bond below minimum")
	ErrInsufficientFunds  = codes.Register(Name, 11, "insufficient funds")
	ErrInsufficientShares = codes.Register(Name, 12, "insufficient delegation")
	ErrNotJailed          = codes.Register(Name, 13, "validator not jailed")
	ErrStillJailed        = codes.Register(Name, 14, "jail period not over")
	ErrNothingToWithdraw  = codes.Register(Name, 15, "nothing to withdraw")
	ErrInvalidGenesis     = codes.Register(Name, 16, "invalid genesis")
	ErrInvalidParams      = codes.Register(Name, 17, "invalid parameters")
	ErrNoDelegation       = codes.Register(Name, 18, "no delegation")
	ErrNoTokens           = codes.Register(Name, 19, "validator has no tokens")
	ErrAmountTooSmall     = codes.Register(Name, 20, "amount buys no share")
	ErrNotSelfBond        = codes.Register(Name, 21, "not a self-bond")
)
