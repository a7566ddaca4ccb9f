package chain

import (
	"bytes"
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// protoJSON writes field names as in the .proto files and every field, zero
// values included, so a reader sees the whole record.
var protoJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// EncodeJSON encodes a query result: a protobuf message as protojson (64-bit
// integers as strings, field names as in the .proto), anything else with
// encoding/json. The output is compact, so equal results are equal bytes.
func EncodeJSON(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return json.Marshal(v)
	}
	raw, err := protoJSON.Marshal(m)
	if err != nil {
		return nil, err
	}
	// protojson varies its whitespace on purpose; compacting makes it stable.
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeProtoJSON reads a query result encoded by EncodeJSON into m,
// ignoring fields a newer node may have added.
func DecodeProtoJSON(raw []byte, m proto.Message) error {
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(raw, m)
}
