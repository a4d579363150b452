package main

// Hand-rolled protobuf messages: no protoc, no generated code.
//
// Debian bookworm's ttrpc (1.1.1) marshals through github.com/gogo/protobuf/proto,
// which accepts any value implementing proto.Message (Reset/String/ProtoMessage)
// and uses its Marshal/Unmarshal methods when present. rawMsg is such a value:
// it carries already-encoded protobuf bytes, built and parsed with protowire.

import (
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// rawMsg is a protobuf message whose wire bytes are handled by the caller.
type rawMsg struct {
	b []byte
}

func (m *rawMsg) Reset()         { m.b = nil }
func (m *rawMsg) String() string { return hex.EncodeToString(m.b) }
func (m *rawMsg) ProtoMessage()  {}

func (m *rawMsg) Marshal() ([]byte, error) {
	if m.b == nil {
		return []byte{}, nil
	}
	return m.b, nil
}

func (m *rawMsg) Unmarshal(b []byte) error {
	// The codec may reuse its buffer; keep our own copy.
	m.b = append([]byte(nil), b...)
	return nil
}

// field is one decoded field of a message, in wire order.
type field struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64 // VarintType, Fixed32Type, Fixed64Type
	bytes  []byte // BytesType (and groups, raw)
}

// parseFields splits a message into its fields without interpreting them.
func parseFields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return nil, fmt.Errorf("field %d: bad varint: %v", num, protowire.ParseError(m))
			}
			f.varint, n = v, m
		case protowire.Fixed32Type:
			v, m := protowire.ConsumeFixed32(b)
			if m < 0 {
				return nil, fmt.Errorf("field %d: bad fixed32: %v", num, protowire.ParseError(m))
			}
			f.varint, n = uint64(v), m
		case protowire.Fixed64Type:
			v, m := protowire.ConsumeFixed64(b)
			if m < 0 {
				return nil, fmt.Errorf("field %d: bad fixed64: %v", num, protowire.ParseError(m))
			}
			f.varint, n = v, m
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, fmt.Errorf("field %d: bad length-delimited: %v", num, protowire.ParseError(m))
			}
			f.bytes, n = v, m
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return nil, fmt.Errorf("field %d: bad value of wire type %d: %v", num, typ, protowire.ParseError(m))
			}
			f.bytes, n = b[:m], m
		}
		b = b[n:]
		out = append(out, f)
	}
	return out, nil
}

// expect checks that a known field arrived with the wire type its schema says.
func expect(f field, want protowire.Type) error {
	if f.typ != want {
		return fmt.Errorf("field %d: wire type %d, want %d", f.num, f.typ, want)
	}
	return nil
}

// msgBuilder appends proto3 fields, skipping default values as proto3 does.
type msgBuilder struct {
	b []byte
}

func (w *msgBuilder) bool(num protowire.Number, v bool) {
	if v {
		w.b = protowire.AppendTag(w.b, num, protowire.VarintType)
		w.b = protowire.AppendVarint(w.b, 1)
	}
}

func (w *msgBuilder) int64(num protowire.Number, v int64) {
	if v != 0 {
		w.b = protowire.AppendTag(w.b, num, protowire.VarintType)
		w.b = protowire.AppendVarint(w.b, uint64(v))
	}
}

func (w *msgBuilder) bytes(num protowire.Number, v []byte) {
	if len(v) > 0 {
		w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
		w.b = protowire.AppendBytes(w.b, v)
	}
}

func (w *msgBuilder) string(num protowire.Number, v string) {
	if v != "" {
		w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
		w.b = protowire.AppendString(w.b, v)
	}
}

func (w *msgBuilder) msg() *rawMsg {
	return &rawMsg{b: w.b}
}

// singleBytesField decodes a message whose only known field is `bytes/string <num>`
// (the Echo and Metadata payloads). Unknown fields are ignored, as proto3 does.
func singleBytesField(b []byte, num protowire.Number) ([]byte, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, f := range fs {
		if f.num == num {
			if err := expect(f, protowire.BytesType); err != nil {
				return nil, err
			}
			out = f.bytes // last one wins
		}
	}
	return out, nil
}

// singleVarintField decodes a message whose only known field is a varint <num>.
func singleVarintField(b []byte, num protowire.Number) (uint64, error) {
	fs, err := parseFields(b)
	if err != nil {
		return 0, err
	}
	var out uint64
	for _, f := range fs {
		if f.num == num {
			if err := expect(f, protowire.VarintType); err != nil {
				return 0, err
			}
			out = f.varint
		}
	}
	return out, nil
}
