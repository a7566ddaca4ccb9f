package attest

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"
	tdxpb "github.com/google/go-tdx-guest/proto/tdx"
	tdxverify "github.com/google/go-tdx-guest/verify"
)

// Identity of Intel's production TD quoting enclave, as published in Intel's
// QE identity collateral (https://api.trustedservices.intel.com/tdx/certification/v4/qe/identity).
const (
	intelQEMrSignerHex = "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5"
	intelTDQEProdID    = 2
	// sgxAttrDebug is the DEBUG bit of an SGX enclave's ATTRIBUTES.
	sgxAttrDebug = 0x02
	// tdAttrDebug is the DEBUG bit of TD_ATTRIBUTES.
	tdAttrDebug = 0x01
)

// parseTDXRoots builds the pool of trusted Intel roots; nil when the bundle
// is empty.
func parseTDXRoots(bundle []byte) (*x509.CertPool, error) {
	certs, err := parsePEMCerts(bundle, "TDXRootsPEM")
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, nil
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// pckChain returns the certificates of the quote's PCK chain (leaf first).
func pckChain(q *tdxpb.QuoteV4) ([]*x509.Certificate, error) {
	rest := q.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetPckCertificateChainData().GetPckCertChain()
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PCK chain certificate %d does not parse: %w", ErrBadEvidence, len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) != 3 {
		return nil, fmt.Errorf("%w: PCK chain has %d certificates, want 3 (PCK, platform/processor CA, root CA)", ErrBadEvidence, len(certs))
	}
	return certs, nil
}

func (v *Verifier) verifyTDX(evidence []byte, now time.Time, want [64]byte, res *Result) (err error) {
	defer guard(&err)
	parsed, err := tdxabi.QuoteToProto(evidence)
	if err != nil {
		return fmt.Errorf("%w: not a TDX quote: %w", ErrBadEvidence, err)
	}
	q, ok := parsed.(*tdxpb.QuoteV4)
	if !ok {
		return fmt.Errorf("%w: quote format %T is not supported, want version 4", ErrBadEvidence, parsed)
	}
	if q.GetHeader().GetTeeType() != tdxabi.TeeTDX {
		return fmt.Errorf("%w: quote TEE type %#x is not TDX", ErrBadEvidence, q.GetHeader().GetTeeType())
	}
	certs, err := pckChain(q)
	if err != nil {
		return err
	}
	if err := checkValidity(now, certs...); err != nil {
		return err
	}
	opts := &tdxverify.Options{
		CheckRevocations: false,
		GetCollateral:    false,
		Now:              now,
		TrustedRoots:     v.tdxRoots,
	}
	if err := tdxverify.TdxQuote(q, opts); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	qe := q.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetQeReport()
	if hex.EncodeToString(qe.GetMrSigner()) != intelQEMrSignerHex || qe.GetIsvProdId() != intelTDQEProdID ||
		len(qe.GetAttributes()) == 0 || qe.GetAttributes()[0]&sgxAttrDebug != 0 {
		return fmt.Errorf("%w: the quote was not produced by Intel's production TD quoting enclave (MRSIGNER %x, ISVPRODID %d)",
			ErrSignature, qe.GetMrSigner(), qe.GetIsvProdId())
	}
	body := q.GetTdQuoteBody()
	attrs := body.GetTdAttributes()
	debug := len(attrs) > 0 && attrs[0]&tdAttrDebug != 0
	if err := v.checkClaims(body.GetReportData(), body.GetMrTd(), debug, want); err != nil {
		return err
	}
	svn := body.GetTeeTcbSvn()
	if len(svn) != teeTCBSVNSize {
		return fmt.Errorf("%w: TEE_TCB_SVN is %d bytes, want %d", ErrBadEvidence, len(svn), teeTCBSVNSize)
	}
	if v.minTDXSVN != nil {
		for i := range svn {
			if svn[i] < v.minTDXSVN[i] {
				return fmt.Errorf("%w: TEE_TCB_SVN %x is below the policy minimum %x at byte %d; update the TDX module",
					ErrTCB, svn, v.minTDXSVN, i)
			}
		}
	}
	res.Measurement = bytes.Clone(body.GetMrTd())
	copy(res.ReportData[:], body.GetReportData())
	res.TCB = binary.BigEndian.Uint64(svn[:8])
	res.Debug = debug
	return nil
}
