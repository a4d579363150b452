package main

// read: one process's stdout (or stderr) copied to nothing as kata's shim copies it — one
// ReadStdout call in flight at a time, each asking for --read-len bytes (the shim's io.Copy
// asks for 32 KiB) — until the agent's empty answer ends it (the new generation's end of
// stream) or an error answer does (the old one's). It measures what the shim sees, in its own
// process, so the benchmark's client does not share the agent's JVM.

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/status"
)

type readOutput struct {
	Bytes      int64   `json:"bytes"`
	Reads      int64   `json:"reads"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_sec"` // 10^6 bytes per second
	EndedBy    string  `json:"ended_by"`   // "empty answer" or "error answer"
	EndMessage string  `json:"end_message,omitempty"`
}

func runRead(args []string) int {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	socket := fs.String("socket", "", "the agent's ttRPC unix socket (required)")
	container := fs.String("container", "", "container id (required)")
	execID := fs.String("exec", "", "exec id; empty for the container's init process")
	stderr := fs.Bool("stderr", false, "read stderr instead of stdout")
	readLen := fs.Uint("read-len", 32*1024, "bytes asked for by each call")
	timeout := fs.Duration("timeout", 10*time.Minute, "connect timeout and the whole copy's deadline")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *socket == "" || *container == "" || fs.NArg() != 0 || *readLen == 0 {
		return fail(exitUsage, "read: --socket PATH and --container ID are required, --read-len > 0, no positional arguments")
	}
	client, err := dial(*socket, *timeout)
	if err != nil {
		return fail(exitTransport, "read: connect %s: %v", *socket, err)
	}
	defer client.Close()
	method := "ReadStdout"
	if *stderr {
		method = "ReadStderr"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req := &rawMsg{b: readStreamRequest(*container, *execID, uint32(*readLen))}
	out := readOutput{}
	start := time.Now()
	for {
		resp := &rawMsg{}
		err := client.Call(ctx, "grpc.AgentService", method, req, resp)
		out.Reads++
		if err != nil {
			st, ok := status.FromError(err)
			if !ok || errors.Is(err, ttrpc.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
				return fail(exitTransport, "read: %s after %d bytes: %v", method, out.Bytes, err)
			}
			out.EndedBy, out.EndMessage = "error answer", codeName(st.Code())+": "+st.Message()
			break
		}
		chunk, err := decodeReadStream(resp.b)
		if err != nil {
			return fail(exitDecode, "read: cannot decode ReadStreamResponse: %v", err)
		}
		if len(chunk) == 0 {
			out.EndedBy = "empty answer"
			break
		}
		out.Bytes += int64(len(chunk))
	}
	elapsed := time.Since(start)
	out.Seconds = elapsed.Seconds()
	if out.Seconds > 0 {
		out.MBPerSec = round1(float64(out.Bytes) / 1e6 / out.Seconds)
	}
	printJSON(out)
	return exitOK
}
