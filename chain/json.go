package chain

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lazchain/lazchain/codes"
)

// Errors of queries, shared by the application and every module's queries.
var (
	ErrUnknownQuery  = codes.Register("query", 2, "unknown query path")
	ErrNoSuchVersion = codes.Register("query", 3, "height not available")
	ErrBadRequest    = codes.Register("query", 4, "bad query request")
)

// DecodeJSON decodes a genesis section or query request strictly: unknown
// fields and trailing data are refused, so a misspelt field is an error
// rather than a silent default. Empty input leaves v as it is.
func DecodeJSON(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
