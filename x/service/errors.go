package service

import "github.com/lazchain/lazchain/codes"

// Errors of the service module (codespace "service").
var (
	ErrNotFound       = codes.Register(Name, 2, "not found")
	ErrUnauthorized   = codes.Register(Name, 3, "unauthorized")
	ErrInvalidService = codes.Register(Name, 4, "invalid service")
	ErrPolicy         = codes.Register(Name, 5, "class policy forbids the service")
	ErrInvalidAmount  = codes.Register(Name, 6, "invalid amount")
	ErrInsufficient   = codes.Register(Name, 7, "insufficient escrow")
	ErrInvalidBatch   = codes.Register(Name, 8, "invalid settlement batch")
	ErrInvalidAddress = codes.Register(Name, 9, "invalid address")
	ErrInvalidGenesis = codes.Register(Name, 10, "invalid genesis")
	ErrPaused         = codes.Register(Name, 11, "service paused")
)

// Reasons a receipt is rejected, as service_receipt_rejected events and
// Check name them.
const (
	ReasonMalformed       = "malformed"
	ReasonWrongChain      = "wrong_chain"
	ReasonUnknownService  = "unknown_service"
	ReasonNotServing      = "worker_not_serving"
	ReasonEnclaveSig      = "bad_enclave_signature"
	ReasonConsumerSig     = "bad_consumer_signature"
	ReasonAboveMax        = "price_above_max"
	ReasonWrongModel      = "wrong_model"
	ReasonExpired         = "expired"
	ReasonExpiryTooFar    = "expiry_too_far"
	ReasonReplayed        = "replayed"
	ReasonNonceClosed     = "nonce_closed"
	ReasonNoQuota         = "no_quota"
	ReasonInsufficientEsc = "insufficient_escrow"
)
