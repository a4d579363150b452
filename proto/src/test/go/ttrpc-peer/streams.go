package main

// A process's two output streams, copied as each kata runtime generation copies them.
//
// The shim copies stdout and stderr concurrently, each with a loop of ReadStdout/ReadStderr
// calls, from the moment the process starts. The generations differ in how that loop ends:
//
//	old (kata before Feb 2026): the read function behind the shim's io.Copy turns an empty
//	    ReadStreamResponse into (0, nil), and io.Copy simply reads again; only an error answer
//	    ends the copy. An agent that answered only empty at end of stream would keep such a shim
//	    calling in a tight loop, so more than maxEmpty empty answers in a row fails the copy.
//	new (kata after Feb 2026): an empty answer is end of stream.
//
// Either way the copy must get every byte the process wrote, and under a policy denying
// ReadStreamRequest it must get none.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/containerd/ttrpc"
)

const (
	genOld = "old"
	genNew = "new"
	// maxReportedData bounds the output quoted in the report; the digest covers all of it.
	maxReportedData = 1 << 20
)

type streamCopier struct {
	client     *ttrpc.Client
	ctx        context.Context // the run's deadline: a read waits as long as the process writes nothing
	generation string
	readLen    uint32
	maxEmpty   int
	denied     bool // the agent's policy denies ReadStreamRequest
}

// streamCopy is a copy step's response in the report.
type streamCopy struct {
	Bytes               int    `json:"bytes"`
	SHA256              string `json:"sha256"`
	Data                string `json:"data,omitempty"`
	Reads               int    `json:"reads"` // calls made, the last one included
	EmptyReads          int    `json:"empty_reads"`
	MaxConsecutiveEmpty int    `json:"max_consecutive_empty"`
	EndedBy             string `json:"ended_by"` // "empty answer", "error answer", "spinning", "failure"
}

// procIO is a process's two running copies; joined (both ended) before its WaitProcess.
type procIO struct {
	stdout, stderr chan *podStep
}

func (c *streamCopier) start(containerID, execID string) *procIO {
	p := &procIO{stdout: make(chan *podStep, 1), stderr: make(chan *podStep, 1)}
	go func() { p.stdout <- c.copy(containerID, execID, true) }()
	go func() { p.stderr <- c.copy(containerID, execID, false) }()
	return p
}

func (c *streamCopier) expectation() string {
	data := "all the output"
	if c.denied {
		data = "no data (policy)"
	}
	if c.generation == genOld {
		return fmt.Sprintf("%s, then an error answer; at most %d empty answers in a row", data, c.maxEmpty)
	}
	return data + ", then an empty answer"
}

// copy runs one stream's loop to its end; the step it returns is recorded when joined.
func (c *streamCopier) copy(containerID, execID string, stdout bool) *podStep {
	method, step := "grpc.AgentService/ReadStderr", "read_stderr"
	if stdout {
		method, step = "grpc.AgentService/ReadStdout", "read_stdout"
	}
	s := &podStep{Step: step, Target: target(containerID, execID), Expect: c.expectation()}
	out := &streamCopy{}
	var data bytes.Buffer
	consecutive := 0
	start := time.Now()
	deadline, _ := c.ctx.Deadline()
	for {
		res, body := invoke(c.ctx, c.client, method, readStreamRequest(containerID, execID, c.readLen), time.Until(deadline))
		s.callResult = res
		out.Reads++
		if res.TransportError != "" {
			out.EndedBy, s.Problem = "failure", "transport failure: "+res.TransportError
			break
		}
		if !res.OK {
			out.EndedBy = "error answer"
			if c.generation == genOld {
				s.Passed = true // how the agent ends a stream for an old runtime
			} else {
				s.Problem = fmt.Sprintf("error answer %s (%s) before the empty answer that ends the stream", res.CodeName, res.Message)
			}
			break
		}
		chunk, err := decodeReadStream(body)
		if err != nil {
			res.DecodeError = err.Error()
			out.EndedBy, s.Problem = "failure", "cannot decode ReadStreamResponse: "+err.Error()
			break
		}
		if len(chunk) > 0 {
			consecutive = 0
			data.Write(chunk)
			continue
		}
		out.EmptyReads++
		consecutive++
		if consecutive > out.MaxConsecutiveEmpty {
			out.MaxConsecutiveEmpty = consecutive
		}
		if c.generation == genNew {
			out.EndedBy, s.Passed = "empty answer", true
			break
		}
		if consecutive > c.maxEmpty {
			out.EndedBy = "spinning"
			s.Problem = fmt.Sprintf("an old runtime would spin: %d empty answers in a row", consecutive)
			break
		}
	}
	s.ElapsedUs = time.Since(start).Microseconds() // the whole copy, not its last call
	sum := sha256.Sum256(data.Bytes())
	out.Bytes, out.SHA256 = data.Len(), hex.EncodeToString(sum[:])
	if data.Len() <= maxReportedData {
		out.Data = data.String()
	}
	if s.Passed && c.denied && data.Len() > 0 {
		s.Passed, s.Problem = false, fmt.Sprintf("the policy denies ReadStreamRequest, yet %d bytes arrived", data.Len())
	}
	s.Response = out
	return s
}

func target(containerID, execID string) string {
	if execID == "" {
		return containerID
	}
	return containerID + "/" + execID
}
