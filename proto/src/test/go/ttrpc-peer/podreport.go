package main

// pod's report: one entry per step, each judged against what kata's runtime expects of it.

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
)

// podStep is one step of the report: the call's result (as in check) plus its verdict.
type podStep struct {
	Step   string `json:"step"`
	Target string `json:"target,omitempty"` // container id, or container/exec
	*callResult
	Expect  string `json:"expect"`
	Passed  bool   `json:"passed"`
	Problem string `json:"problem,omitempty"`
}

type podReport struct {
	Socket         string     `json:"socket"`
	Generation     string     `json:"generation"`
	DeniedByPolicy bool       `json:"denied_by_policy"`
	ReadLen        uint32     `json:"read_len"`
	MaxEmptyReads  int        `json:"max_empty_reads"`
	Steps          []*podStep `json:"steps"`
	Passed         bool       `json:"passed"`
	Failures       []string   `json:"failures"` // "step target: problem", in order
}

// recorder runs calls and keeps the report. Only the sequence's goroutine records steps (the
// stream copies hand theirs over when joined), so the report needs no lock.
type recorder struct {
	client  *ttrpc.Client
	ctx     context.Context // carries the whole run's deadline
	timeout time.Duration   // per unary call
	report  *podReport
}

// record adds a finished step and notes its failure.
func (r *recorder) record(s *podStep) *podStep {
	if s.callResult != nil {
		s.ResponseHex = nil // decoded into Response where it matters; hex would only bloat the report
	}
	r.report.Steps = append(r.report.Steps, s)
	if !s.Passed {
		r.report.Failures = append(r.report.Failures, fmt.Sprintf("%s %s: %s", s.Step, s.Target, s.Problem))
	}
	return s
}

// call makes one unary call expected to end with status `expect`; decode (if any) turns a
// successful answer into the step's response. The raw answer is returned for further checks.
func (r *recorder) call(step, target, method string, req []byte, expect codes.Code,
	decode func([]byte) (interface{}, error)) (*podStep, interface{}) {
	res, body := invoke(r.ctx, r.client, method, req, r.timeout)
	s := &podStep{Step: step, Target: target, callResult: res, Expect: codeName(expect)}
	var decoded interface{}
	switch {
	case res.TransportError != "":
		s.Problem = "transport failure: " + res.TransportError
	case codes.Code(res.Code) != expect:
		s.Problem = fmt.Sprintf("answered %s (%s), want %s", res.CodeName, res.Message, codeName(expect))
	case res.OK && decode != nil:
		v, err := decode(body)
		if err != nil {
			res.DecodeError = err.Error()
			s.Problem = "cannot decode the response: " + err.Error()
			break
		}
		res.Response, decoded = v, v
		s.Passed = true
	default:
		s.Passed = true
	}
	r.record(s)
	return s, decoded
}

// require turns a passed step into a failed one when a check on its content fails.
func (r *recorder) require(s *podStep, ok bool, problem string) {
	if s.Passed && !ok {
		s.Passed = false
		s.Problem = problem
		r.report.Failures = append(r.report.Failures, fmt.Sprintf("%s %s: %s", s.Step, s.Target, problem))
	}
}
