package compute

import "github.com/lazchain/lazchain/codes"

// Errors of the compute module (codespace "compute").
var (
	ErrNotFound         = codes.Register(Name, 2, "not found")
	ErrUnauthorized     = codes.Register(Name, 3, "unauthorized")
	ErrInvalidWorker    = codes.Register(Name, 4, "invalid worker")
	ErrAttestation      = codes.Register(Name, 5, "attestation refused")
	ErrStaleBlockHash   = codes.Register(Name, 6, "unknown or stale block hash")
	ErrInsufficientBond = codes.Register(Name, 7, "bond too small")
	ErrInvalidAddress   = codes.Register(Name, 8, "invalid address")
	ErrWorkerBusy       = codes.Register(Name, 9, "worker has open jobs")
	ErrWorkerInactive   = codes.Register(Name, 10, "worker not active")
	ErrInvalidGenesis   = codes.Register(Name, 11, "invalid genesis")
	ErrDuplicateKey     = codes.Register(Name, 12, "enclave key already registered")
)
