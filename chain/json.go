package chain

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"

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

// ParamsGenesis is the genesis section of a module that has only
// parameters there: protobuf JSON of its Params message.
type ParamsGenesis struct {
	Params json.RawMessage `json:"params,omitempty"`
}

// EncodeParamsGenesis renders a ParamsGenesis section holding p.
func EncodeParamsGenesis(p proto.Message) (json.RawMessage, error) {
	b, err := EncodeJSON(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ParamsGenesis{Params: b})
}

// DecodeParamsGenesis reads a ParamsGenesis section into p, which holds
// the defaults: the fields the section names replace them (see
// OverlayProtoJSON), the others stay. given is an empty message of p's
// type to decode into.
func DecodeParamsGenesis(raw json.RawMessage, p, given proto.Message) error {
	var g ParamsGenesis
	if err := DecodeJSON(raw, &g); err != nil {
		return err
	}
	if len(g.Params) == 0 {
		return nil
	}
	if err := DecodeProtoJSON(g.Params, given); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if err := OverlayProtoJSON(p, given, g.Params); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	return nil
}

// OverlayProtoJSON sets in p every field the JSON object raw names, to its
// value in given (raw decoded into the same message type), zero values
// included; fields raw leaves out keep p's values. It is how a genesis
// section's parameters overlay the defaults (proto.Merge skips zero
// values, so a genesis asking for 0 would silently get the default).
func OverlayProtoJSON(p, given proto.Message, raw json.RawMessage) error {
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return err
	}
	dst, src := p.ProtoReflect(), given.ProtoReflect()
	fields := dst.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ { // field order, not map order
		fd := fields.Get(i)
		_, byJSON := named[fd.JSONName()]
		_, byName := named[string(fd.Name())]
		switch {
		case !byJSON && !byName: // left out: keeps its default
		case src.Has(fd):
			dst.Set(fd, src.Get(fd))
		default:
			dst.Clear(fd)
		}
	}
	return nil
}
