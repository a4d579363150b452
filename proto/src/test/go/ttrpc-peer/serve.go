package main

// serve: a containerd ttrpc server offering service cvmagent.test.Echo.
//
//	Echo     request/response { bytes payload = 1; }  echoes payload
//	Fail     any request -> status FAILED_PRECONDITION "fail requested"
//	Sleep    request { int64 millis = 1; } -> empty, after sleeping; honours
//	         the request deadline / cancellation (DEADLINE_EXCEEDED / CANCELLED)
//	Metadata any request -> { bytes payload = 1; } = the request's ttRPC
//	         metadata as a JSON object of string arrays ({} when none)
//
// With --fake-agent it also answers the calls `check` makes (see fakeagent.go).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const echoService = "cvmagent.test.Echo"

func readRaw(unmarshal func(interface{}) error) ([]byte, error) {
	var req rawMsg
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	return req.b, nil
}

func echoMethods() map[string]ttrpc.Method {
	return map[string]ttrpc.Method{
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			b, err := readRaw(unmarshal)
			if err != nil {
				return nil, err
			}
			payload, err := singleBytesField(b, 1)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "bad EchoRequest: %v", err)
			}
			var out msgBuilder
			out.bytes(1, payload)
			return out.msg(), nil
		},
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := readRaw(unmarshal); err != nil {
				return nil, err
			}
			return nil, status.Error(codes.FailedPrecondition, "fail requested")
		},
		"Sleep": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			b, err := readRaw(unmarshal)
			if err != nil {
				return nil, err
			}
			ms, err := singleVarintField(b, 1)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "bad SleepRequest: %v", err)
			}
			if int64(ms) < 0 {
				return nil, status.Errorf(codes.InvalidArgument, "negative sleep %d ms", int64(ms))
			}
			t := time.NewTimer(time.Duration(ms) * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
				return &rawMsg{}, nil
			case <-ctx.Done():
				// ttrpc maps context.Canceled/DeadlineExceeded to CANCELLED/DEADLINE_EXCEEDED.
				return nil, ctx.Err()
			}
		},
		"Metadata": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := readRaw(unmarshal); err != nil {
				return nil, err
			}
			md := map[string][]string{}
			if got, ok := ttrpc.GetMetadata(ctx); ok {
				for k, v := range got {
					md[k] = v
				}
			}
			js, err := json.Marshal(md)
			if err != nil {
				return nil, err
			}
			var out msgBuilder
			out.bytes(1, js)
			return out.msg(), nil
		},
	}
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	socket := fs.String("socket", "", "unix socket to listen on (required; a stale socket file is replaced)")
	ignoreStdin := fs.Bool("ignore-stdin", false, "keep running when stdin reaches EOF")
	grace := fs.Duration("shutdown-timeout", 5*time.Second, "how long to wait for in-flight calls on shutdown")
	verbose := fs.Bool("verbose", false, "log each call on stderr")
	fakeAgent := fs.Bool("fake-agent", false, "also serve canned grpc.Health and grpc.AgentService/GetGuestDetails")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *socket == "" || fs.NArg() != 0 {
		return fail(exitUsage, "serve: --socket PATH is required and no positional arguments are accepted")
	}
	if fi, err := os.Lstat(*socket); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(*socket)
	}
	l, err := net.Listen("unix", *socket)
	if err != nil {
		return fail(exitTransport, "serve: listen %s: %v", *socket, err)
	}
	defer os.Remove(*socket)

	var opts []ttrpc.ServerOpt
	if *verbose {
		opts = append(opts, ttrpc.WithUnaryServerInterceptor(
			func(ctx context.Context, u ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, m ttrpc.Method) (interface{}, error) {
				resp, err := m(ctx, u)
				fmt.Fprintf(os.Stderr, "ttrpc-peer: serve: %s -> %s\n", info.FullMethod, codeName(status.Code(err)))
				return resp, err
			}))
	}
	server, err := ttrpc.NewServer(opts...)
	if err != nil {
		return fail(exitTransport, "serve: %v", err)
	}
	server.Register(echoService, echoMethods())
	if *fakeAgent {
		server.Register("grpc.Health", fakeHealthMethods())
		server.Register("grpc.AgentService", fakeAgentMethods())
	}

	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }()

	stop := make(chan string, 2)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { stop <- (<-sigs).String() }()
	if !*ignoreStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			stop <- "stdin closed"
		}()
	}

	fmt.Println("READY")

	exit := exitOK
	select {
	case why := <-stop:
		if *verbose {
			fmt.Fprintf(os.Stderr, "ttrpc-peer: serve: stopping (%s)\n", why)
		}
	case err := <-served:
		if !errors.Is(err, ttrpc.ErrServerClosed) {
			exit = fail(exitTransport, "serve: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		server.Close()
	}
	return exit
}
