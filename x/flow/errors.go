package flow

import "github.com/lazchain/lazchain/codes"

// Errors of the flow module (codespace "flow").
var (
	ErrNotFound          = codes.Register(Name, 2, "not found")
	ErrUnauthorized      = codes.Register(Name, 3, "unauthorized")
	ErrInvalidPool       = codes.Register(Name, 4, "invalid pool")
	ErrInvalidSealed     = codes.Register(Name, 5, "invalid sealed data")
	ErrFeeTooHigh        = codes.Register(Name, 6, "fee above maximum")
	ErrNotEnoughWorkers  = codes.Register(Name, 7, "not enough eligible workers")
	ErrWrongJob          = codes.Register(Name, 8, "result for another job")
	ErrNotAssigned       = codes.Register(Name, 9, "worker not assigned")
	ErrBadSignature      = codes.Register(Name, 10, "bad enclave signature")
	ErrInvalidResult     = codes.Register(Name, 11, "invalid result")
	ErrClosed            = codes.Register(Name, 12, "contribution closed")
	ErrNotStalled        = codes.Register(Name, 13, "not refundable")
	ErrInvalidAddress    = codes.Register(Name, 14, "invalid address")
	ErrInvalidGenesis    = codes.Register(Name, 15, "invalid genesis")
	ErrUnsupportedPolicy = codes.Register(Name, 16, "proof policy not supported")
	ErrRevoked           = codes.Register(Name, 17, "contribution revoked")
	ErrInvalidModel      = codes.Register(Name, 18, "invalid training request")
)
