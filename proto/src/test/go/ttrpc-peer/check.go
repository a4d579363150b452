package main

// check: call the agent the way a kata shim does on start-up.
//
// Messages, from kata-containers src/libs/protocols/protos (package grpc):
//
//	health.proto  CheckRequest         { string service = 1; }
//	              HealthCheckResponse  { ServingStatus status = 1; }  UNKNOWN=0 SERVING=1 NOT_SERVING=2
//	              VersionCheckResponse { string grpc_version = 1; string agent_version = 2; }
//	agent.proto   GuestDetailsRequest  { bool mem_block_size = 1; bool mem_hotplug_probe = 2; }
//	              GuestDetailsResponse { uint64 mem_block_size_bytes = 1; AgentDetails agent_details = 2;
//	                                     bool support_mem_hotplug_probe = 3; }
//	              AgentDetails         { string version = 1; bool init_daemon = 2;
//	                                     repeated string device_handlers = 3; repeated string storage_handlers = 4;
//	                                     bool supports_seccomp = 5; repeated string extra_features = 6; }

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

var servingStatusNames = map[uint64]string{0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING"}

type healthCheckResponse struct {
	Status        uint64  `json:"status"`
	StatusName    string  `json:"status_name"`
	UnknownFields []int32 `json:"unknown_fields"`
}

type versionCheckResponse struct {
	GrpcVersion   string  `json:"grpc_version"`
	AgentVersion  string  `json:"agent_version"`
	UnknownFields []int32 `json:"unknown_fields"`
}

type agentDetails struct {
	Version         string   `json:"version"`
	InitDaemon      bool     `json:"init_daemon"`
	DeviceHandlers  []string `json:"device_handlers"`
	StorageHandlers []string `json:"storage_handlers"`
	SupportsSeccomp bool     `json:"supports_seccomp"`
	ExtraFeatures   []string `json:"extra_features"`
	UnknownFields   []int32  `json:"unknown_fields"`
}

type guestDetailsResponse struct {
	MemBlockSizeBytes      uint64        `json:"mem_block_size_bytes"`
	AgentDetails           *agentDetails `json:"agent_details"` // null when absent
	SupportMemHotplugProbe bool          `json:"support_mem_hotplug_probe"`
	UnknownFields          []int32       `json:"unknown_fields"`
}

func decodeHealthCheck(b []byte) (interface{}, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	r := &healthCheckResponse{UnknownFields: []int32{}}
	for _, f := range fs {
		switch f.num {
		case 1:
			if err := expect(f, protowire.VarintType); err != nil {
				return nil, err
			}
			r.Status = f.varint
		default:
			r.UnknownFields = append(r.UnknownFields, int32(f.num))
		}
	}
	r.StatusName = servingStatusNames[r.Status]
	if r.StatusName == "" {
		r.StatusName = fmt.Sprintf("UNRECOGNIZED_%d", r.Status)
	}
	return r, nil
}

func decodeVersion(b []byte) (interface{}, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	r := &versionCheckResponse{UnknownFields: []int32{}}
	for _, f := range fs {
		switch f.num {
		case 1, 2:
			if err := expect(f, protowire.BytesType); err != nil {
				return nil, err
			}
			if f.num == 1 {
				r.GrpcVersion = string(f.bytes)
			} else {
				r.AgentVersion = string(f.bytes)
			}
		default:
			r.UnknownFields = append(r.UnknownFields, int32(f.num))
		}
	}
	return r, nil
}

func decodeAgentDetails(b []byte) (*agentDetails, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	r := &agentDetails{DeviceHandlers: []string{}, StorageHandlers: []string{}, ExtraFeatures: []string{}, UnknownFields: []int32{}}
	for _, f := range fs {
		switch f.num {
		case 1, 3, 4, 6:
			if err := expect(f, protowire.BytesType); err != nil {
				return nil, err
			}
			s := string(f.bytes)
			switch f.num {
			case 1:
				r.Version = s
			case 3:
				r.DeviceHandlers = append(r.DeviceHandlers, s)
			case 4:
				r.StorageHandlers = append(r.StorageHandlers, s)
			case 6:
				r.ExtraFeatures = append(r.ExtraFeatures, s)
			}
		case 2, 5:
			if err := expect(f, protowire.VarintType); err != nil {
				return nil, err
			}
			if f.num == 2 {
				r.InitDaemon = f.varint != 0
			} else {
				r.SupportsSeccomp = f.varint != 0
			}
		default:
			r.UnknownFields = append(r.UnknownFields, int32(f.num))
		}
	}
	return r, nil
}

func decodeGuestDetails(b []byte) (interface{}, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	r := &guestDetailsResponse{UnknownFields: []int32{}}
	for _, f := range fs {
		switch f.num {
		case 1, 3:
			if err := expect(f, protowire.VarintType); err != nil {
				return nil, err
			}
			if f.num == 1 {
				r.MemBlockSizeBytes = f.varint
			} else {
				r.SupportMemHotplugProbe = f.varint != 0
			}
		case 2:
			if err := expect(f, protowire.BytesType); err != nil {
				return nil, err
			}
			d, err := decodeAgentDetails(f.bytes)
			if err != nil {
				return nil, fmt.Errorf("agent_details: %v", err)
			}
			r.AgentDetails = d // a repeated occurrence would merge; agents send one
		default:
			r.UnknownFields = append(r.UnknownFields, int32(f.num))
		}
	}
	return r, nil
}

type checkOutput struct {
	Socket          string              `json:"socket"`
	Metadata        map[string][]string `json:"metadata"`
	HealthCheck     *callResult         `json:"health_check"`
	HealthVersion   *callResult         `json:"health_version"`
	GuestDetails    *callResult         `json:"guest_details"`
	NoSuchMethod    *callResult         `json:"no_such_method"`
	CreateContainer *callResult         `json:"create_container"`
}

func runCheck(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	socket := fs.String("socket", "", "agent's ttRPC unix socket (required)")
	timeout := fs.Duration("timeout", 10*time.Second, "connect timeout and per-call deadline")
	service := fs.String("service", "", "CheckRequest.service for the Health calls")
	memBlock := fs.Bool("mem-block-size", true, "GuestDetailsRequest.mem_block_size")
	hotplug := fs.Bool("mem-hotplug-probe", true, "GuestDetailsRequest.mem_hotplug_probe")
	var md metadataFlag
	fs.Var(&md, "metadata", "ttRPC request metadata key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *socket == "" || fs.NArg() != 0 {
		return fail(exitUsage, "check: --socket PATH is required and no positional arguments are accepted")
	}

	client, err := dial(*socket, *timeout)
	if err != nil {
		return fail(exitTransport, "check: connect %s: %v", *socket, err)
	}
	defer client.Close()
	ctx := md.attach(context.Background())

	var checkReq msgBuilder
	checkReq.string(1, *service)
	var gdReq msgBuilder
	gdReq.bool(1, *memBlock)
	gdReq.bool(2, *hotplug)

	out := checkOutput{Socket: *socket, Metadata: md.asMap()}
	type step struct {
		dst    **callResult
		method string
		req    []byte
		decode func([]byte) (interface{}, error)
	}
	steps := []step{
		{&out.HealthCheck, "grpc.Health/Check", checkReq.b, decodeHealthCheck},
		{&out.HealthVersion, "grpc.Health/Version", checkReq.b, decodeVersion},
		{&out.GuestDetails, "grpc.AgentService/GetGuestDetails", gdReq.b, decodeGuestDetails},
		{&out.NoSuchMethod, "grpc.AgentService/NoSuchMethod", nil, nil},
		{&out.CreateContainer, "grpc.AgentService/CreateContainer", nil, nil},
	}
	exit := exitOK
	for _, s := range steps {
		res, body := invoke(ctx, client, s.method, s.req, *timeout)
		if res.TransportError != "" {
			fmt.Fprintf(os.Stderr, "ttrpc-peer: check: %s: transport failure: %s\n", s.method, res.TransportError)
			exit = exitTransport
		} else if res.OK && s.decode != nil {
			v, err := s.decode(body)
			if err != nil {
				res.DecodeError = err.Error()
				fmt.Fprintf(os.Stderr, "ttrpc-peer: check: %s: cannot decode response: %v\n", s.method, err)
				if exit == exitOK {
					exit = exitDecode
				}
			} else {
				res.Response = v
			}
		}
		*s.dst = res
	}
	printJSON(out)
	return exit
}

// runCall performs one arbitrary call with a hex-encoded request body.
func runCall(args []string) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	socket := fs.String("socket", "", "peer's ttRPC unix socket (required)")
	method := fs.String("method", "", "full method, e.g. grpc.Health/Check (required)")
	reqHex := fs.String("request-hex", "", "request message bytes, hex")
	timeout := fs.Duration("timeout", 10*time.Second, "connect timeout and call deadline")
	var md metadataFlag
	fs.Var(&md, "metadata", "ttRPC request metadata key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *socket == "" || *method == "" || fs.NArg() != 0 {
		return fail(exitUsage, "call: --socket PATH and --method SERVICE/METHOD are required")
	}
	req, err := hex.DecodeString(*reqHex)
	if err != nil {
		return fail(exitUsage, "call: --request-hex: %v", err)
	}
	client, err := dial(*socket, *timeout)
	if err != nil {
		return fail(exitTransport, "call: connect %s: %v", *socket, err)
	}
	defer client.Close()
	res, _ := invoke(md.attach(context.Background()), client, *method, req, *timeout)
	printJSON(res)
	if res.TransportError != "" {
		return fail(exitTransport, "call: %s: transport failure: %s", *method, res.TransportError)
	}
	return exitOK
}
