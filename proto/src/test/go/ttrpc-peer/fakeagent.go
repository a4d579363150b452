package main

// serve --fake-agent: canned grpc.Health and grpc.AgentService/GetGuestDetails
// answers (field numbers as in check.go), so that `check` can be exercised
// against a real ttrpc server. Nothing else of the agent API is registered:
// other AgentService methods answer UNIMPLEMENTED "method <name>".

import (
	"context"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

const (
	fakeAgentVersion = "0.0.0-ttrpc-peer-fake"
	fakeGrpcVersion  = "ttrpc-peer-fake"
	fakeMemBlockSize = 128 << 20
)

func fakeHealthMethods() map[string]ttrpc.Method {
	return map[string]ttrpc.Method{
		"Check": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := readRaw(unmarshal); err != nil {
				return nil, err
			}
			var out msgBuilder
			out.int64(1, 1) // SERVING
			return out.msg(), nil
		},
		"Version": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := readRaw(unmarshal); err != nil {
				return nil, err
			}
			var out msgBuilder
			out.string(1, fakeGrpcVersion)
			out.string(2, fakeAgentVersion)
			return out.msg(), nil
		},
	}
}

func fakeAgentMethods() map[string]ttrpc.Method {
	return map[string]ttrpc.Method{
		"GetGuestDetails": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			b, err := readRaw(unmarshal)
			if err != nil {
				return nil, err
			}
			fs, err := parseFields(b)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "bad GuestDetailsRequest: %v", err)
			}
			var memBlock, probe bool
			for _, f := range fs {
				if f.typ == protowire.VarintType && f.num == 1 {
					memBlock = f.varint != 0
				}
				if f.typ == protowire.VarintType && f.num == 2 {
					probe = f.varint != 0
				}
			}
			var details msgBuilder
			details.string(1, fakeAgentVersion)
			details.bool(2, false)
			for _, h := range []string{"blk", "scsi"} {
				details.b = protowire.AppendTag(details.b, 3, protowire.BytesType)
				details.b = protowire.AppendString(details.b, h)
			}
			details.b = protowire.AppendTag(details.b, 4, protowire.BytesType)
			details.b = protowire.AppendString(details.b, "ephemeral")
			details.bool(5, true)

			var out msgBuilder
			if memBlock {
				out.int64(1, fakeMemBlockSize)
			}
			out.bytes(2, details.b)
			out.bool(3, probe)
			return out.msg(), nil
		},
	}
}
