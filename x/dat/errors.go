package dat

import "github.com/lazchain/lazchain/codes"

// Errors of the dat module (codespace "dat").
var (
	ErrNotFound          = codes.Register(Name, 2, "not found")
	ErrUnauthorized      = codes.Register(Name, 3, "unauthorized")
	ErrInvalidClass      = codes.Register(Name, 4, "invalid class")
	ErrInvalidLineage    = codes.Register(Name, 5, "invalid lineage")
	ErrLineageCycle      = codes.Register(Name, 6, "lineage cycle")
	ErrLineageDepth      = codes.Register(Name, 7, "lineage too deep")
	ErrInvalidToken      = codes.Register(Name, 8, "invalid token")
	ErrInvalidAmount     = codes.Register(Name, 9, "invalid amount")
	ErrInvalidExpiry     = codes.Register(Name, 10, "invalid expiry")
	ErrExpired           = codes.Register(Name, 11, "token expired")
	ErrClassMismatch     = codes.Register(Name, 12, "tokens of different classes")
	ErrInsufficientValue = codes.Register(Name, 13, "insufficient value")
	ErrQuotaExceeded     = codes.Register(Name, 14, "usage quota exceeded")
	ErrNotOwner          = codes.Register(Name, 15, "not the owner")
	ErrNothingToClaim    = codes.Register(Name, 16, "nothing to claim")
	ErrRestricted        = codes.Register(Name, 17, "class restricted")
	ErrInvalidProof      = codes.Register(Name, 18, "invalid proof")
	ErrOverflow          = codes.Register(Name, 19, "amount overflows")
	ErrInvalidAddress    = codes.Register(Name, 20, "invalid address")
	ErrInvalidGenesis    = codes.Register(Name, 21, "invalid genesis")
	ErrInvalidUsage      = codes.Register(Name, 22, "invalid usage")
	ErrInsufficientFunds = codes.Register(Name, 23, "insufficient funds")
	ErrModuleMinted      = codes.Register(Name, 24, "class minted by a module")
)
