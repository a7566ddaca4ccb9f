package service

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/lazchain/lazchain/internal/accum"
	"github.com/lazchain/lazchain/tx"
)

// Domains of the module's signatures.
const (
	VoucherDomain = "lazchain/service/voucher/v1"
	ReceiptDomain = "lazchain/service/receipt/v1"
	BatchDomain   = "lazchain/service/batch/v1"
)

type signBuf []byte

func (b *signBuf) str(s string) {
	*b = binary.BigEndian.AppendUint32(*b, uint32(len(s)))
	*b = append(*b, s...)
}

func (b *signBuf) u64(v uint64) { *b = binary.BigEndian.AppendUint64(*b, v) }

// VoucherDigest is the 32-byte digest a consumer signs for a voucher: the
// SHA-256 of the domain and every field, length-prefixed or fixed-width.
func VoucherDigest(v *Voucher) [32]byte {
	var b signBuf
	b.str(VoucherDomain)
	b.str(v.GetChainId())
	b.u64(v.GetService())
	b.str(v.GetRequestHash())
	b.str(v.GetMaxPrice())
	b.u64(v.GetNonce())
	b.u64(uint64(v.GetExpiry()))
	b.str(v.GetConsumer())
	b.u64(v.GetToken())
	b.u64(v.GetWorker())
	return sha256.Sum256(b)
}

// SignVoucher signs a voucher with the consumer's key and returns the
// signature, hex.
func SignVoucher(v *Voucher, key tx.Signer) (string, error) {
	d := VoucherDigest(v)
	sig, err := key.SignDigest(d[:])
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// VerifyVoucher checks that sigHex is the voucher's consumer's signature.
func VerifyVoucher(v *Voucher, sigHex string) bool {
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return false
	}
	d := VoucherDigest(v)
	a, err := tx.RecoverAddress(d[:], sig)
	return err == nil && a.String() == v.GetConsumer()
}

// ReceiptSignBytes are the bytes a worker's enclave key signs for a
// receipt: the domain, the voucher's digest, the consumer's signature, the
// worker, the output hash, the model commitment and the price.
func ReceiptSignBytes(r *Receipt) []byte {
	d := VoucherDigest(r.GetVoucher())
	var b signBuf
	b.str(ReceiptDomain)
	b = append(b, d[:]...)
	b.str(r.GetConsumerSignature())
	b.u64(r.GetWorker())
	b.str(r.GetOutputHash())
	b.str(r.GetModelCommitment())
	b.str(r.GetPrice())
	return b
}

// SignReceipt signs a receipt with an enclave's ed25519 key.
func SignReceipt(r *Receipt, key ed25519.PrivateKey) {
	r.EnclaveSignature = hex.EncodeToString(ed25519.Sign(key, ReceiptSignBytes(r)))
}

// VerifyReceipt checks a receipt's enclave signature against a worker's
// signing key (hex).
func VerifyReceipt(r *Receipt, signingKeyHex string) bool {
	pub, err := hex.DecodeString(signingKeyHex)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := hex.DecodeString(r.GetEnclaveSignature())
	return err == nil && ed25519.Verify(pub, ReceiptSignBytes(r), sig)
}

// BatchDigest is what an enclave signs to vouch for a whole batch: the
// SHA-256 of the domain, the chain, the worker and each receipt's sign
// bytes' SHA-256, in order.
func BatchDigest(chainID string, worker uint64, receipts []*Receipt) [32]byte {
	h := sha256.New()
	var b signBuf
	b.str(BatchDomain)
	b.str(chainID)
	b.u64(worker)
	b.u64(uint64(len(receipts)))
	h.Write(b)
	for _, r := range receipts {
		d := sha256.Sum256(ReceiptSignBytes(r))
		h.Write(d[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// VerifyBatch checks a batch signature against a worker's signing key
// (hex).
func VerifyBatch(chainID string, worker uint64, receipts []*Receipt, sigHex, signingKeyHex string) bool {
	pub, err := hex.DecodeString(signingKeyHex)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := hex.DecodeString(sigHex)
	d := BatchDigest(chainID, worker, receipts)
	return err == nil && ed25519.Verify(pub, d[:], sig)
}

// RequestHash is the hex SHA-256 of a request or response body.
func RequestHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// SplitPayment splits one payment exactly: protocol fee first, then the
// owner's and provider's basis points of the rest (rounded down), and the
// model class gets what remains.
func SplitPayment(price uint64, protocolBps uint32, sp *Split) (protocol, owner, provider, model uint64) {
	protocol = accum.MulBps(price, protocolBps)
	rest := price - protocol
	owner = accum.MulBps(rest, sp.GetOwnerBps())
	provider = accum.MulBps(rest, sp.GetProviderBps())
	model = rest - owner - provider
	return
}
