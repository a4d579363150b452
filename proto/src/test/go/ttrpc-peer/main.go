// Command ttrpc-peer is a real Go ttRPC peer (containerd/ttrpc as packaged by
// Debian) used by cvm-agent's interop tests and benchmarks.
//
// Subcommands:
//
//	check  --socket PATH [--timeout D] [--metadata k=v]...   call the agent like a kata shim
//	call   --socket PATH --method SVC/M [--request-hex HEX]  one raw call, hex in / hex out
//	serve  --socket PATH [--ignore-stdin] [--fake-agent]     serve cvmagent.test.Echo
//	bench  --socket PATH [--concurrency N] [--payload B] (--duration D | --calls N)
//	       [--warmup D] [--connections K] [--timeout D]      load cvmagent.test.Echo/Echo
//	pod    --socket PATH --plan FILE --generation old|new [--denied-by-policy]
//	       [--read-len N] [--max-empty-reads N] [--timeout D] [--deadline D]
//	                                                         a whole pod, as kata's runtime drives it
//	read   --socket PATH --container ID [--exec ID] [--stderr] [--read-len N] [--timeout D]
//	                                                         one stream copied to nothing, as a shim copies it
//
// Every subcommand but serve prints exactly one JSON object on stdout.
// Exit codes: 0 done (RPC error statuses are data), 1 transport failure,
// 2 usage error, 3 a response could not be decoded, 4 (pod) a step did not go as
// kata's runtime expects (the report says which).
//
// One call (call's whole output; each call in check's):
//
//	{"method":"grpc.Health/Check","ok":true,"code":0,"code_name":"OK","message":"",
//	 "elapsed_us":123,"response":{...decoded, check only...},"response_hex":"0801",
//	 "decode_error":"...if any","transport_error":"...if any"}
//
// code is the numeric gRPC code, code_name its canonical name (UNIMPLEMENTED,
// FAILED_PRECONDITION, ...). response/response_hex appear only when ok.
//
// check: {"socket":..., "metadata":{"k":["v"]}, "health_check":CALL,
// "health_version":CALL, "guest_details":CALL, "no_such_method":CALL,
// "create_container":CALL}; decoded responses (absent fields at proto3
// defaults, unknown field numbers listed in "unknown_fields"):
//
//	health_check   {"status":1,"status_name":"SERVING"}
//	health_version {"grpc_version":"..","agent_version":".."}
//	guest_details  {"mem_block_size_bytes":N,"support_mem_hotplug_probe":b,
//	                "agent_details":null|{"version","init_daemon","device_handlers",
//	                "storage_handlers","supports_seccomp","extra_features"}}
//
// bench: {"calls","errors","seconds","calls_per_sec","p50_us","p90_us","p99_us",
// "max_us","mean_us","concurrency","connections","payload_bytes","warmup_calls",
// "first_error"(if any)}; calls counts failed calls too.
//
// pod: {"socket","generation","denied_by_policy","read_len","max_empty_reads",
// "steps":[{"step","target",...CALL,"expect","passed","problem"}],"passed","failures":[...]};
// the steps and their order are listed at the top of pod.go. A stream copy's step is
// one loop of reads: the last call's fields, elapsed_us for the whole copy, and as
// response {"bytes","sha256","data","reads","empty_reads","max_consecutive_empty","ended_by"}.
//
// read: {"bytes","reads","seconds","mb_per_sec","ended_by","end_message"(if an error answer)}.
//
// serve prints READY once listening and stops on SIGTERM/SIGINT or stdin EOF.
//
// Build offline from Debian packages, in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o ttrpc-peer ./proto/src/test/go/ttrpc-peer
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	exitOK        = 0
	exitTransport = 1
	exitUsage     = 2
	exitDecode    = 3
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "check":
		os.Exit(runCheck(args))
	case "call":
		os.Exit(runCall(args))
	case "serve":
		os.Exit(runServe(args))
	case "bench":
		os.Exit(runBench(args))
	case "pod":
		os.Exit(runPod(args))
	case "read":
		os.Exit(runRead(args))
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "ttrpc-peer: unknown subcommand %q\n", os.Args[1])
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ttrpc-peer check|call|serve|bench|pod|read --socket PATH [options]  (ttrpc-peer SUBCOMMAND -h for options)")
	os.Exit(exitUsage)
}

func fail(code int, format string, a ...interface{}) int {
	fmt.Fprintf(os.Stderr, "ttrpc-peer: "+format+"\n", a...)
	return code
}

// metadataFlag collects repeated --metadata key=value options.
type metadataFlag struct {
	md ttrpc.MD
}

func (m *metadataFlag) String() string {
	if m == nil || m.md == nil {
		return ""
	}
	b, _ := json.Marshal(m.md)
	return string(b)
}

func (m *metadataFlag) Set(v string) error {
	i := strings.IndexByte(v, '=')
	if i <= 0 {
		return fmt.Errorf("want key=value, got %q", v)
	}
	if m.md == nil {
		m.md = ttrpc.MD{}
	}
	m.md.Append(v[:i], v[i+1:]) // ttrpc lower-cases the key
	return nil
}

func (m *metadataFlag) attach(ctx context.Context) context.Context {
	if len(m.md) == 0 {
		return ctx
	}
	return ttrpc.WithMetadata(ctx, m.md)
}

func (m *metadataFlag) asMap() map[string][]string {
	out := map[string][]string{}
	for k, v := range m.md {
		out[k] = v
	}
	return out
}

func dial(socket string, timeout time.Duration) (*ttrpc.Client, error) {
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return nil, err
	}
	return ttrpc.NewClient(conn), nil
}

// codeNames are the canonical gRPC code names (as in grpc/status.proto and
// io.grpc.Status.Code), not Go's CamelCase String() forms.
var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// callResult is the JSON shape of one RPC in check/call output.
type callResult struct {
	Method      string      `json:"method"`
	OK          bool        `json:"ok"`
	Code        uint32      `json:"code"`
	CodeName    string      `json:"code_name"`
	Message     string      `json:"message"`
	ElapsedUs   int64       `json:"elapsed_us"`
	Response    interface{} `json:"response,omitempty"`
	ResponseHex *string     `json:"response_hex,omitempty"`
	DecodeError string      `json:"decode_error,omitempty"`
	// TransportError is set when the call did not complete at the transport
	// level (connection lost, client-side deadline, ...). The code fields are
	// then synthesised on this side: DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE
	// (connection closed) or UNKNOWN.
	TransportError string `json:"transport_error,omitempty"`
}

// invoke performs one call. An error status from the server fills the code
// fields; any other error is a transport error.
func invoke(ctx context.Context, c *ttrpc.Client, fullMethod string, req []byte, timeout time.Duration) (*callResult, []byte) {
	res := &callResult{Method: fullMethod}
	svc, m := splitMethod(fullMethod)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp := &rawMsg{}
	start := time.Now()
	err := c.Call(ctx, svc, m, &rawMsg{b: req}, resp)
	res.ElapsedUs = time.Since(start).Microseconds()
	if err == nil {
		res.OK, res.Code, res.CodeName = true, 0, codeName(codes.OK)
		h := fmt.Sprintf("%x", resp.b)
		res.ResponseHex = &h
		return res, resp.b
	}
	if st, ok := status.FromError(err); ok {
		res.Code, res.CodeName, res.Message = uint32(st.Code()), codeName(st.Code()), st.Message()
		return res, nil
	}
	res.TransportError = err.Error()
	code := codes.Unknown
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded // our own deadline expired before any answer
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, ttrpc.ErrClosed):
		code = codes.Unavailable
	}
	res.Code, res.CodeName, res.Message = uint32(code), codeName(code), err.Error()
	return res, nil
}

func splitMethod(full string) (string, string) {
	full = strings.TrimPrefix(full, "/")
	i := strings.LastIndexByte(full, '/')
	if i < 0 {
		return full, ""
	}
	return full[:i], full[i+1:]
}

func printJSON(v interface{}) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-peer: cannot encode JSON: %v\n", err)
		os.Exit(exitTransport)
	}
}
