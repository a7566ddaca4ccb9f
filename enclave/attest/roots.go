package attest

import (
	"bytes"
	_ "embed"
	"encoding/pem"
	"fmt"

	"github.com/google/go-sev-guest/verify/trust"
)

// intelSGXRootCA is Intel's SGX Root CA, copied from go-tdx-guest v0.3.1
// (verify/trusted_root.pem), which embeds it without exporting it.
//
//go:embed roots/intel_sgx_root_ca.pem
var intelSGXRootCA []byte

// DefaultSEVRootsPEM returns AMD's ASK and ARK certificates for the VCEK
// chains of the product lines go-sev-guest v0.14 embeds (Milan, Genoa,
// Turin), as one PEM bundle. It reads only the library's embedded copies,
// never the network. Each call returns a fresh slice.
func DefaultSEVRootsPEM() []byte {
	var b bytes.Buffer
	for _, bundle := range [][]byte{trust.AskArkMilanVcekBytes, trust.AskArkGenoaVcekBytes, trust.AskArkTurinVcekBytes} {
		b.Write(bundle)
		if !bytes.HasSuffix(bundle, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// DefaultTDXRootsPEM returns Intel's SGX Root CA certificate in PEM. It is
// the certificate go-tdx-guest v0.3.1 embeds (verify/trusted_root.pem); the
// library does not export it, so this package embeds a copy of that file.
// Each call returns a fresh slice.
func DefaultTDXRootsPEM() []byte {
	return bytes.Clone(intelSGXRootCA)
}

// DevSEVRootsPEM returns the PEM of the ASK and ARK (in that order, as AMD's
// KDS serves them) of go-sev-guest's test-only chain for product Milan-B1,
// created at the fixed time 2024-01-01 UTC, so that the chain and every dev
// worker derive the same certificates. The certificates' RSA-PSS signatures
// are randomised, so two calls may differ in their signature bytes; the keys,
// names and validity are always the same, and Policy.Dev trusts the chain by
// those keys. The private keys of this chain are public: it is for
// development and tests only.
func DevSEVRootsPEM() ([]byte, error) {
	chain, err := buildDevChain(DevOptions{})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, der := range [][]byte{chain.Ask.Raw, chain.Ark.Raw} {
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
			return nil, fmt.Errorf("attest: encode dev root: %w", err)
		}
	}
	return b.Bytes(), nil
}
