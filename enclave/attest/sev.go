package attest

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/go-sev-guest/testing/data"
	"github.com/google/go-sev-guest/verify"
	"github.com/google/go-sev-guest/verify/trust"
	"google.golang.org/protobuf/proto"
)

// sevRoot is one trusted ARK/ASK pair of an AMD product line.
type sevRoot struct {
	line     string
	ark, ask *x509.Certificate
}

// amdRoots returns the go-sev-guest trusted-roots map holding only r. A
// fresh value per call: the library's AMDRootCerts carries a mutex and a CRL
// cache, which a shared value would expose to concurrent callers.
func (r sevRoot) amdRoots() map[string][]*trust.AMDRootCerts {
	root := trust.AMDRootCertsProduct(r.line)
	root.ProductCerts = &trust.ProductCerts{Ark: r.ark, Ask: r.ask}
	return map[string][]*trust.AMDRootCerts{r.line: {root}}
}

// parsePEMCerts parses a bundle made only of CERTIFICATE blocks.
func parsePEMCerts(bundle []byte, name string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bundle
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: %s holds a %q PEM block; it must hold only CERTIFICATE blocks", ErrPolicy, name, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s certificate %d does not parse: %w", ErrPolicy, name, len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s has %d trailing bytes that are not PEM; remove them", ErrPolicy, name, len(bytes.TrimSpace(rest)))
	}
	return certs, nil
}

// isTestOnlyKey reports whether c carries one of go-sev-guest's test-only
// RSA keys, whose private halves are published with the library.
func isTestOnlyKey(c *x509.Certificate) bool {
	for _, k := range []*rsa.PublicKey{
		&data.ARKPrivateKey.PublicKey, &data.ASKPrivateKey.PublicKey, &data.ASVKPrivateKey.PublicKey,
	} {
		if k.Equal(c.PublicKey) {
			return true
		}
	}
	return false
}

// parseSEVRoots pairs each ASK of the bundle with the ARK of its product line
// that signed it. Pairs on go-sev-guest's test-only keys are refused unless
// dev is set, and then dropped: dev chains are recognised by key anyway.
func parseSEVRoots(bundle []byte, dev bool) ([]sevRoot, error) {
	certs, err := parsePEMCerts(bundle, "SEVRootsPEM")
	if err != nil {
		return nil, err
	}
	var arks, asks []*x509.Certificate
	for _, c := range certs {
		if isTestOnlyKey(c) {
			if !dev {
				return nil, fmt.Errorf("%w: SEVRootsPEM holds go-sev-guest's test-only certificate %q, whose private key is public; remove it, or set Policy.Dev for a development chain",
					ErrPolicy, c.Subject.CommonName)
			}
			continue
		}
		cn := c.Subject.CommonName
		switch {
		case strings.HasPrefix(cn, "ARK-"):
			arks = append(arks, c)
		case strings.HasPrefix(cn, "SEV-VLEK-"):
			return nil, fmt.Errorf("%w: SEVRootsPEM holds %q: VLEK chains are not supported, use the VCEK ARK/ASK bundles", ErrPolicy, cn)
		case strings.HasPrefix(cn, "SEV-"):
			asks = append(asks, c)
		default:
			return nil, fmt.Errorf("%w: SEVRootsPEM holds %q, which is neither an AMD ARK (ARK-<line>) nor an ASK (SEV-<line>)", ErrPolicy, cn)
		}
	}
	var roots []sevRoot
	used := make([]bool, len(arks))
	for _, ask := range asks {
		line := strings.TrimPrefix(ask.Subject.CommonName, "SEV-")
		paired := false
		for i, ark := range arks {
			if ark.Subject.CommonName != "ARK-"+line || ask.CheckSignatureFrom(ark) != nil {
				continue
			}
			roots = append(roots, sevRoot{line: line, ark: ark, ask: ask})
			used[i], paired = true, true
			break
		}
		if !paired {
			return nil, fmt.Errorf("%w: SEVRootsPEM has no ARK-%s that signed ASK %q; include the complete ASK+ARK bundle", ErrPolicy, line, ask.Subject.CommonName)
		}
	}
	for i, ark := range arks {
		if !used[i] {
			return nil, fmt.Errorf("%w: SEVRootsPEM has ARK %q without its ASK; include the complete ASK+ARK bundle", ErrPolicy, ark.Subject.CommonName)
		}
	}
	return roots, nil
}

// SEVEvidence encodes a raw SEV-SNP attestation report (the 1184-byte ABI
// ATTESTATION_REPORT) and the DER certificates of its VCEK, ASK and ARK as
// KindSEVSNP evidence: the canonical serialized sevsnp.Attestation that
// Verify accepts. Enclaves should build their evidence with it.
func SEVEvidence(rawReport, vcekDER, askDER, arkDER []byte) ([]byte, error) {
	if len(rawReport) != abi.ReportSize {
		return nil, fmt.Errorf("%w: report is %d bytes, want %d (the raw ATTESTATION_REPORT)", ErrBadEvidence, len(rawReport), abi.ReportSize)
	}
	report, err := abi.ReportToProto(rawReport)
	if err != nil {
		return nil, fmt.Errorf("%w: report does not parse: %w", ErrBadEvidence, err)
	}
	if len(vcekDER) == 0 || len(askDER) == 0 || len(arkDER) == 0 {
		return nil, fmt.Errorf("%w: the VCEK, ASK and ARK certificates are all required", ErrBadEvidence)
	}
	att := &spb.Attestation{
		Report: report,
		CertificateChain: &spb.CertificateChain{
			VcekCert: bytes.Clone(vcekDER),
			AskCert:  bytes.Clone(askDER),
			ArkCert:  bytes.Clone(arkDER),
		},
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(att)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot encode attestation: %w", ErrBadEvidence, err)
	}
	return out, nil
}

// parseSEVEvidence decodes evidence and insists on the canonical form that
// SEVEvidence produces, so that the evidence digest cannot be varied without
// changing what was attested.
func parseSEVEvidence(evidence []byte) (*spb.Attestation, *x509.Certificate, error) {
	att := &spb.Attestation{}
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(evidence, att); err != nil {
		return nil, nil, fmt.Errorf("%w: not a serialized sevsnp.Attestation: %w", ErrBadEvidence, err)
	}
	canon, err := proto.MarshalOptions{Deterministic: true}.Marshal(att)
	if err != nil || !bytes.Equal(canon, evidence) {
		return nil, nil, fmt.Errorf("%w: attestation is not in canonical encoding (unknown or reordered fields); build it with SEVEvidence", ErrBadEvidence)
	}
	report := att.GetReport()
	raw, err := abi.ReportToAbiBytes(report)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: report fields do not fit the SEV-SNP ABI: %w", ErrBadEvidence, err)
	}
	if err := abi.ValidateReportFormat(raw); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadEvidence, err)
	}
	back, err := abi.ReportToProto(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: report does not parse: %w", ErrBadEvidence, err)
	}
	if !proto.Equal(back, report) {
		return nil, nil, fmt.Errorf("%w: report carries fields outside its signed ABI bytes; build it with SEVEvidence", ErrBadEvidence)
	}
	info, err := abi.ParseSignerInfo(report.GetSignerInfo())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signer info: %w", ErrBadEvidence, err)
	}
	if info.SigningKey != abi.VcekReportSigner {
		return nil, nil, fmt.Errorf("%w: report is signed by %v; only VCEK-signed reports are supported", ErrBadEvidence, info.SigningKey)
	}
	chain := att.GetCertificateChain()
	if len(chain.GetVcekCert()) == 0 || len(chain.GetAskCert()) == 0 || len(chain.GetArkCert()) == 0 {
		return nil, nil, fmt.Errorf("%w: certificate chain must hold the VCEK, ASK and ARK certificates", ErrBadEvidence)
	}
	if len(chain.GetVlekCert()) != 0 || len(chain.GetExtras()) != 0 || att.GetProduct() != nil {
		return nil, nil, fmt.Errorf("%w: attestation carries a VLEK, certificate-table extras or a product field; build it with SEVEvidence", ErrBadEvidence)
	}
	vcek, err := x509.ParseCertificate(chain.GetVcekCert())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: VCEK certificate does not parse: %w", ErrBadEvidence, err)
	}
	return att, vcek, nil
}

// sevAnchor picks the trusted ARK/ASK pair the evidence claims. Configured
// roots must be byte-identical to the evidence's ASK and ARK. In dev mode a
// chain on go-sev-guest's test-only keys is accepted whatever its
// signature bytes (they differ between builds); dev reports it.
func (v *Verifier) sevAnchor(chain *spb.CertificateChain) (root sevRoot, dev bool, err error) {
	for _, r := range v.sevRoots {
		if bytes.Equal(chain.GetAskCert(), r.ask.Raw) && bytes.Equal(chain.GetArkCert(), r.ark.Raw) {
			return r, false, nil
		}
	}
	if !v.dev {
		return sevRoot{}, false, fmt.Errorf("%w: the evidence's ASK and ARK are not a trusted pair of Policy.SEVRootsPEM", ErrSignature)
	}
	r, err := devAnchor(chain.GetAskCert(), chain.GetArkCert())
	if err != nil {
		return sevRoot{}, false, fmt.Errorf("%w: the evidence's ASK and ARK are neither a trusted pair of Policy.SEVRootsPEM nor go-sev-guest's test-only chain: %w", ErrSignature, err)
	}
	return r, true, nil
}

// devAnchor accepts an ASK/ARK pair on go-sev-guest's test-only keys. The
// ASK's signature is checked by the library's chain verification.
func devAnchor(askDER, arkDER []byte) (sevRoot, error) {
	ask, err := x509.ParseCertificate(askDER)
	if err != nil {
		return sevRoot{}, fmt.Errorf("ASK does not parse: %w", err)
	}
	ark, err := x509.ParseCertificate(arkDER)
	if err != nil {
		return sevRoot{}, fmt.Errorf("ARK does not parse: %w", err)
	}
	if !data.ARKPrivateKey.PublicKey.Equal(ark.PublicKey) || !data.ASKPrivateKey.PublicKey.Equal(ask.PublicKey) {
		return sevRoot{}, fmt.Errorf("ASK/ARK keys are not the test-only keys")
	}
	line := strings.TrimPrefix(ark.Subject.CommonName, "ARK-")
	if line == ark.Subject.CommonName || ask.Subject.CommonName != "SEV-"+line {
		return sevRoot{}, fmt.Errorf("ASK %q and ARK %q do not name one product line", ask.Subject.CommonName, ark.Subject.CommonName)
	}
	if err := ark.CheckSignatureFrom(ark); err != nil {
		return sevRoot{}, fmt.Errorf("ARK is not self-signed: %w", err)
	}
	return sevRoot{line: line, ark: ark, ask: ask}, nil
}

func (v *Verifier) verifySEV(evidence []byte, now time.Time, want [64]byte, res *Result) (err error) {
	defer guard(&err)
	att, vcek, err := parseSEVEvidence(evidence)
	if err != nil {
		return err
	}
	root, dev, err := v.sevAnchor(att.GetCertificateChain())
	if err != nil {
		return err
	}
	if err := checkValidity(now, vcek, root.ask, root.ark); err != nil {
		return err
	}
	opts := &verify.Options{
		DisableCertFetching: true,
		CheckRevocations:    false,
		Now:                 now,
		TrustedRoots:        root.amdRoots(),
	}
	if err := verify.SnpAttestation(att, opts); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	report := att.GetReport()
	exts, err := kds.VcekCertificateExtensions(vcek)
	if err != nil {
		return fmt.Errorf("%w: VCEK extensions: %w", ErrBadEvidence, err)
	}
	chip := report.GetChipId()
	if !bytes.Equal(chip, make([]byte, abi.ChipIDSize)) && !bytes.Equal(chip, exts.HWID) {
		return fmt.Errorf("%w: report CHIP_ID %x is not the VCEK certificate's HWID %x; send the VCEK of the signing chip", ErrSignature, chip, exts.HWID)
	}
	policy, err := abi.ParseSnpPolicy(report.GetPolicy())
	if err != nil {
		return fmt.Errorf("%w: guest policy: %w", ErrBadEvidence, err)
	}
	if err := v.checkClaims(report.GetReportData(), report.GetMeasurement(), policy.Debug, want); err != nil {
		return err
	}
	reported := report.GetReportedTcb()
	if uint64(exts.TCBVersion) != reported {
		return fmt.Errorf("%w: REPORTED_TCB %#016x differs from the VCEK certificate's TCB %#016x; send the VCEK for the reported TCB",
			ErrTCB, reported, uint64(exts.TCBVersion))
	}
	if v.minSEVTCB != 0 && !kds.TCBPartsLE(kds.DecomposeTCBVersion(kds.TCBVersion(v.minSEVTCB)), kds.DecomposeTCBVersion(kds.TCBVersion(reported))) {
		return fmt.Errorf("%w: REPORTED_TCB %+v is below the policy minimum %+v in some component; update the host firmware and microcode",
			ErrTCB, kds.DecomposeTCBVersion(kds.TCBVersion(reported)), kds.DecomposeTCBVersion(kds.TCBVersion(v.minSEVTCB)))
	}
	res.Measurement = bytes.Clone(report.GetMeasurement())
	copy(res.ReportData[:], report.GetReportData())
	res.TCB = reported
	res.Debug = policy.Debug
	res.Dev = dev
	return nil
}
