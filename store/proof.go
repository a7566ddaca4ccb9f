package store

import (
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// ProofOpType names an IAVL ICS23 proof in an ABCI ProofOp.
const ProofOpType = "ics23:iavl"

// VerifyProof checks an ICS23 proof against a root hash (an app hash from a
// committed header). A nil value asks for proof of absence.
func VerifyProof(root []byte, key, value []byte, proof *ics23.CommitmentProof) error {
	if proof == nil {
		return errors.New("no proof")
	}
	if len(root) == 0 {
		return errors.New("no root hash to verify against")
	}
	if value == nil {
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, proof, key) {
			return fmt.Errorf("proof does not show key %x absent under root %X", key, root)
		}
		return nil
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, root, proof, key, value) {
		return fmt.Errorf("proof does not show key %x = %x under root %X", key, value, root)
	}
	return nil
}
