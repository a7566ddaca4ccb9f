package attest

import (
	"crypto/sha512"
	"encoding/binary"
	"math"
)

// reportDataDomain separates LazChain's worker binding from any other use of
// an enclave's REPORT_DATA.
const reportDataDomain = "lazchain/worker/v2"

// ReportData binds an enclave's keys to one chain, the operator account
// that registers it (so nobody else can register the same evidence) and
// one recent block. It is SHA-512 over the ASCII domain
// "lazchain/worker/v2" (not length-prefixed) followed by chainID,
// operator, hpkePub, signPub and blockHash, each written as its length
// (uint32, big-endian) and then its bytes. The 64-byte digest is what
// the enclave puts in its report's REPORT_DATA.
//
// A field longer than 4 GiB - 1 bytes cannot be length-prefixed; for such
// input ReportData returns the all-zero value, which Verify never accepts.
func ReportData(chainID string, operator, hpkePub, signPub, blockHash []byte) [64]byte {
	fields := [][]byte{[]byte(chainID), operator, hpkePub, signPub, blockHash}
	for _, f := range fields {
		if uint64(len(f)) > math.MaxUint32 {
			return [64]byte{}
		}
	}
	h := sha512.New()
	h.Write([]byte(reportDataDomain))
	var n [4]byte
	for _, f := range fields {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var out [64]byte
	h.Sum(out[:0])
	return out
}
