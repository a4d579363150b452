package main

// bench: N goroutines calling cvmagent.test.Echo/Echo over K shared ttRPC
// client connections (K=1 by default: one multiplexed connection, as a shim uses).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/ttrpc"
)

type benchOutput struct {
	Calls        int64   `json:"calls"` // completed calls, failed ones included
	Errors       int64   `json:"errors"`
	Seconds      float64 `json:"seconds"`
	CallsPerSec  float64 `json:"calls_per_sec"`
	P50Us        float64 `json:"p50_us"`
	P90Us        float64 `json:"p90_us"`
	P99Us        float64 `json:"p99_us"`
	MaxUs        float64 `json:"max_us"`
	MeanUs       float64 `json:"mean_us"`
	Concurrency  int     `json:"concurrency"`
	Connections  int     `json:"connections"`
	PayloadBytes int     `json:"payload_bytes"`
	WarmupCalls  int64   `json:"warmup_calls"`
	FirstError   string  `json:"first_error,omitempty"`
}

type benchWorker struct {
	lat        []time.Duration
	errors     int64
	firstError string
}

func runBench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	socket := fs.String("socket", "", "ttRPC unix socket serving cvmagent.test.Echo (required)")
	concurrency := fs.Int("concurrency", 1, "number of calling goroutines")
	connections := fs.Int("connections", 1, "number of client connections the goroutines share round-robin")
	payload := fs.Int("payload", 64, "Echo payload size in bytes")
	duration := fs.Duration("duration", 0, "measure for this long (exclusive with --calls)")
	calls := fs.Int64("calls", 0, "measure exactly this many calls (exclusive with --duration)")
	warmup := fs.Duration("warmup", 0, "run unmeasured for this long first")
	timeout := fs.Duration("timeout", 10*time.Second, "connect timeout and per-call deadline")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	switch {
	case *socket == "" || fs.NArg() != 0:
		return fail(exitUsage, "bench: --socket PATH is required and no positional arguments are accepted")
	case (*duration > 0) == (*calls > 0):
		return fail(exitUsage, "bench: give exactly one of --duration D or --calls N")
	case *concurrency < 1 || *connections < 1 || *payload < 0 || *warmup < 0:
		return fail(exitUsage, "bench: --concurrency and --connections must be >= 1, --payload and --warmup >= 0")
	}

	clients := make([]*ttrpc.Client, *connections)
	for i := range clients {
		c, err := dial(*socket, *timeout)
		if err != nil {
			return fail(exitTransport, "bench: connect %s: %v", *socket, err)
		}
		defer c.Close()
		clients[i] = c
	}

	body := make([]byte, *payload)
	for i := range body {
		body[i] = byte(i*31 + 7)
	}
	var reqB msgBuilder
	reqB.bytes(1, body)
	req := reqB.msg()

	// one performs a single checked Echo; it reports an error description or "".
	one := func(c *ttrpc.Client) string {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		var resp rawMsg
		if err := c.Call(ctx, echoService, "Echo", req, &resp); err != nil {
			return err.Error()
		}
		got, err := singleBytesField(resp.b, 1)
		if err != nil {
			return "bad EchoResponse: " + err.Error()
		}
		if !bytes.Equal(got, body) {
			return fmt.Sprintf("echo mismatch: sent %d bytes, got %d", len(body), len(got))
		}
		return ""
	}

	// phase runs the workers until the deadline (if non-zero) or until the shared
	// budget of calls is spent (if budget > 0).
	phase := func(deadline time.Time, budget int64, record bool) ([]*benchWorker, time.Duration) {
		var issued int64
		workers := make([]*benchWorker, *concurrency)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range workers {
			w := &benchWorker{}
			if record && budget > 0 {
				w.lat = make([]time.Duration, 0, budget/int64(*concurrency)+1)
			}
			workers[i] = w
			c := clients[i%len(clients)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if budget > 0 {
						if atomic.AddInt64(&issued, 1) > budget {
							return
						}
					} else if !time.Now().Before(deadline) {
						return
					}
					t0 := time.Now()
					msg := one(c)
					d := time.Since(t0)
					w.lat = append(w.lat, d)
					if msg != "" {
						if w.errors == 0 {
							w.firstError = msg
						}
						w.errors++
					}
				}
			}()
		}
		wg.Wait()
		return workers, time.Since(start)
	}

	out := benchOutput{Concurrency: *concurrency, Connections: *connections, PayloadBytes: *payload}
	if *warmup > 0 {
		ws, _ := phase(time.Now().Add(*warmup), 0, false)
		for _, w := range ws {
			out.WarmupCalls += int64(len(w.lat))
		}
	}
	var deadline time.Time
	if *duration > 0 {
		deadline = time.Now().Add(*duration)
	}
	ws, elapsed := phase(deadline, *calls, true)

	var all []time.Duration
	for _, w := range ws {
		all = append(all, w.lat...)
		out.Errors += w.errors
		if out.FirstError == "" {
			out.FirstError = w.firstError
		}
	}
	out.Calls = int64(len(all))
	out.Seconds = elapsed.Seconds()
	if out.Seconds > 0 {
		out.CallsPerSec = round1(float64(out.Calls) / out.Seconds)
	}
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		var sum time.Duration
		for _, d := range all {
			sum += d
		}
		out.P50Us = us(percentile(all, 50))
		out.P90Us = us(percentile(all, 90))
		out.P99Us = us(percentile(all, 99))
		out.MaxUs = us(all[len(all)-1])
		out.MeanUs = us(sum / time.Duration(len(all)))
	}
	printJSON(out)
	return exitOK
}

// percentile uses the nearest-rank method on sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func us(d time.Duration) float64 { return round1(float64(d) / float64(time.Microsecond)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
