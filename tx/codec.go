package tx

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lazchain/lazchain/codes"
)

// Codespace "tx" covers failures found before any module runs.
var (
	ErrMalformed     = codes.Register("tx", 2, "malformed transaction")
	ErrWrongChain    = codes.Register("tx", 3, "transaction is for another chain")
	ErrBadSignature  = codes.Register("tx", 4, "bad signature")
	ErrInvalidSigner = codes.Register("tx", 5, "invalid signer address")
	ErrTooLarge      = codes.Register("tx", 6, "transaction too large")
	ErrNoMessages    = codes.Register("tx", 7, "transaction has no messages")
	ErrTooManyMsgs   = codes.Register("tx", 8, "too many messages")
	ErrMemoTooLarge  = codes.Register("tx", 9, "memo too large")
	ErrUnknownMsg    = codes.Register("tx", 10, "unknown message type")
	ErrTimedOut      = codes.Register("tx", 11, "transaction timed out")
	ErrOutOfGas      = codes.Register("tx", 12, "out of gas")
	ErrInvalidFee    = codes.Register("tx", 13, "invalid fee")
	ErrMsgSigner     = codes.Register("tx", 14, "message not authorised by the signer")
)

// signDomain separates LazChain tx digests from every other use of a key.
const signDomain = "lazchain/tx/v1"

// SignDigest is the 32-byte digest a signer signs: keccak256 of the domain,
// the length-prefixed chain id and the body bytes. The chain id is inside
// the digest, so a signature made for one chain never verifies on another.
func SignDigest(chainID string, body []byte) []byte {
	var l [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(l[:], uint64(len(chainID)))
	return crypto.Keccak256([]byte(signDomain), l[:n], []byte(chainID), body)
}

// Hash is the tx hash CometBFT indexes: SHA-256 of the encoded tx.
func Hash(raw []byte) [32]byte { return sha256.Sum256(raw) }

var marshal = proto.MarshalOptions{Deterministic: true}

// Sign encodes body, signs it for chainID and returns the encoded tx. The
// body's chain id and signer are set from the arguments.
func Sign(s Signer, chainID string, body *TxBody) ([]byte, error) {
	body.ChainId = chainID
	body.Signer = s.Address().String()
	bz, err := marshal.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode tx body: %w", err)
	}
	sig, err := s.SignDigest(SignDigest(chainID, bz))
	if err != nil {
		return nil, fmt.Errorf("sign tx: %w", err)
	}
	return marshal.Marshal(&Tx{Body: bz, Signature: sig})
}

// PackMsgs wraps messages in Any for a TxBody.
func PackMsgs(msgs ...proto.Message) ([]*anypb.Any, error) {
	out := make([]*anypb.Any, len(msgs))
	for i, m := range msgs {
		a, err := anypb.New(m)
		if err != nil {
			return nil, fmt.Errorf("pack message %d: %w", i, err)
		}
		out[i] = a
	}
	return out, nil
}

// Decoded is a tx that parsed: its raw bytes, hash, body and signer as
// claimed (not yet verified).
type Decoded struct {
	Raw    []byte
	Hash   [32]byte
	Tx     *Tx
	Body   *TxBody
	Signer Address
	Msgs   []proto.Message
}

// Decode parses raw tx bytes strictly: the wrapper must be in its canonical
// encoding (so a tx has exactly one hash), no unknown fields may hide in the
// signed body, the signer must be an address and every message a known type.
func Decode(raw []byte) (*Decoded, error) {
	var t Tx
	if err := proto.Unmarshal(raw, &t); err != nil {
		return nil, ErrMalformed.Wrapf("tx bytes are not a LazChain tx: %v", err)
	}
	if len(t.ProtoReflect().GetUnknown()) > 0 {
		return nil, ErrMalformed.Wrap("tx has unknown fields")
	}
	canon, err := marshal.Marshal(&t)
	if err != nil || !bytes.Equal(canon, raw) {
		return nil, ErrMalformed.Wrap("tx is not canonically encoded (fields out of order, repeated or defaulted)")
	}
	if len(t.Body) == 0 {
		return nil, ErrMalformed.Wrap("tx has an empty body")
	}
	var body TxBody
	if err := proto.Unmarshal(t.Body, &body); err != nil {
		return nil, ErrMalformed.Wrapf("tx body does not decode: %v", err)
	}
	if len(body.ProtoReflect().GetUnknown()) > 0 {
		return nil, ErrMalformed.Wrap("tx body has unknown fields")
	}
	if body.Fee == nil {
		return nil, ErrInvalidFee.Wrap("tx body has no fee: set fee.amount and fee.gas_limit")
	}
	signer, err := ParseAddress(body.Signer)
	if err != nil {
		return nil, ErrInvalidSigner.Wrapf("signer: %v", err)
	}
	if len(body.Messages) == 0 {
		return nil, ErrNoMessages.Wrap("a tx must carry at least one message")
	}
	msgs := make([]proto.Message, len(body.Messages))
	for i, a := range body.Messages {
		m, err := a.UnmarshalNew()
		if err != nil {
			return nil, ErrUnknownMsg.Wrapf("message %d (%s): %v", i, a.GetTypeUrl(), err)
		}
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return nil, ErrMalformed.Wrapf("message %d (%s) has unknown fields", i, a.GetTypeUrl())
		}
		msgs[i] = m
	}
	return &Decoded{Raw: raw, Hash: Hash(raw), Tx: &t, Body: &body, Signer: signer, Msgs: msgs}, nil
}

// VerifySignature checks that the tx is meant for chainID and that its
// signature was made by the claimed signer over exactly these body bytes.
func (d *Decoded) VerifySignature(chainID string) error {
	if d.Body.ChainId != chainID {
		return ErrWrongChain.Wrapf("tx is for chain %q, this is %q", d.Body.ChainId, chainID)
	}
	got, err := RecoverAddress(SignDigest(chainID, d.Tx.Body), d.Tx.Signature)
	if err != nil {
		return ErrBadSignature.Wrapf("the signature does not verify for signer %s: %v", d.Signer, err)
	}
	if got != d.Signer {
		return ErrBadSignature.Wrapf("signature is by %s, not by the signer %s", got, d.Signer)
	}
	return nil
}
