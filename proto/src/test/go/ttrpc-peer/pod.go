package main

// pod: drive a whole pod through the agent as kata's runtime (containerd-shim-kata-v2 over
// virtcontainers) does, written from how that runtime behaves, with the same ttRPC library.
//
// Steps, in order; each is one entry of the report's "steps" (step, target):
//
//  1. health_check            grpc.Health/Check answers SERVING: the shim's first call
//  2. create_sandbox          the plan's CreateSandboxRequest
//  3. create_container pause, start_container pause; its stdout and stderr copies start at once
//     and run until the pause container ends (step 11)
//  4. create_container app, start_container app; its two copies start at once
//  5. read_stdout app, read_stderr app: both copies ended, each in --generation's manner
//     (see streams.go); wait_process app only then, as the shim's wait waits for the process's
//     I/O to be done before asking for the exit
//  6. stats_container pause   while it runs: cgroup statistics present
//  7. exec_process pause/EXEC the plan's process; its copies end, then wait_process pause/EXEC.
//     With --denied-by-policy: PERMISSION_DENIED, and there is no exec process to read or wait
//  8. get_metrics             non-empty Prometheus text
//  9. start_unknown_container StartContainer of an id nobody created: NOT_FOUND
// 10. signal_process pause    SIGTERM to the pause container's init
// 11. read_stdout pause, read_stderr pause end; wait_process pause gives its exit
// 12. remove_container app, remove_container pause
// 13. destroy_sandbox
//
// With --denied-by-policy (an agent whose policy denies ExecProcessRequest and
// ReadStreamRequest, as the development default does) every copy must receive no data.
//
// A step that fails is reported (passed false, with its problem) and the rest of the pod's life
// is skipped up to the teardown (12-13), so the agent is left without the pod as a shim leaves
// it; the exit code is then exitSteps. The report is printed in every case.

import (
	"context"
	"flag"
	"time"

	"google.golang.org/grpc/codes"
)

const (
	exitSteps = 4 // a step did not go as kata's runtime expects

	// SIGTERM, as the shim forwards `kill` of a task; the agent signals the process itself.
	sigterm = 15
)

func runPod(args []string) int {
	fs := flag.NewFlagSet("pod", flag.ContinueOnError)
	socket := fs.String("socket", "", "agent's ttRPC unix socket (required)")
	planPath := fs.String("plan", "", "the pod's requests, JSON (required; see podplan.go)")
	generation := fs.String("generation", "", "how stream copies end: old (error answer) or new (empty answer) (required)")
	deniedByPolicy := fs.Bool("denied-by-policy", false, "the agent's policy denies ExecProcessRequest and ReadStreamRequest")
	readLen := fs.Uint("read-len", 32*1024, "ReadStreamRequest.len: io.Copy's buffer, as the shim's copy uses")
	maxEmpty := fs.Int("max-empty-reads", 3, "old generation: empty answers in a row before the copy counts as spinning")
	timeout := fs.Duration("timeout", time.Minute, "connect timeout and deadline of each call but stream reads")
	deadline := fs.Duration("deadline", 5*time.Minute, "the whole run, stream reads included")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *socket == "" || *planPath == "" || fs.NArg() != 0 {
		return fail(exitUsage, "pod: --socket PATH and --plan FILE are required, no positional arguments")
	}
	if *generation != genOld && *generation != genNew {
		return fail(exitUsage, "pod: --generation must be old or new, not %q", *generation)
	}
	if *maxEmpty < 1 || *readLen == 0 || *readLen > 1<<31 {
		return fail(exitUsage, "pod: --max-empty-reads must be at least 1 and --read-len in 1..2^31")
	}
	plan, err := loadPlan(*planPath)
	if err != nil {
		return fail(exitUsage, "pod: plan: %v", err)
	}
	client, err := dial(*socket, *timeout)
	if err != nil {
		return fail(exitTransport, "pod: connect %s: %v", *socket, err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()

	report := &podReport{Socket: *socket, Generation: *generation, DeniedByPolicy: *deniedByPolicy,
		ReadLen: uint32(*readLen), MaxEmptyReads: *maxEmpty, Steps: []*podStep{}, Failures: []string{}}
	p := &podRun{
		recorder: recorder{client: client, ctx: ctx, timeout: *timeout, report: report},
		copier: &streamCopier{client: client, ctx: ctx, generation: *generation, readLen: uint32(*readLen),
			maxEmpty: *maxEmpty, denied: *deniedByPolicy},
		plan: plan,
	}
	p.life()
	p.teardown()
	report.Passed = len(report.Failures) == 0
	printJSON(report)
	if !report.Passed {
		return exitSteps
	}
	return exitOK
}

// podRun is one pod's life; the step list at the top of this file is its order.
type podRun struct {
	recorder
	copier  *streamCopier
	plan    *podPlan
	created []string // containers to remove in teardown, in creation order
	sandbox bool     // CreateSandbox was sent: teardown destroys the sandbox
}

const agentService = "grpc.AgentService/"

// life runs steps 1-11, stopping at the first step that fails.
func (p *podRun) life() {
	var check msgBuilder // CheckRequest{service: ""}: the shim asks about the whole server
	s, health := p.call("health_check", "", "grpc.Health/Check", check.b, codes.OK, decodeHealthCheck)
	if health != nil {
		p.require(s, health.(*healthCheckResponse).StatusName == "SERVING", "the agent is not SERVING")
	}
	if !s.Passed {
		return
	}
	p.sandbox = true // even a failed CreateSandbox may have left part of a sandbox behind
	if s, _ := p.call("create_sandbox", "", agentService+"CreateSandbox", p.plan.CreateSandbox, codes.OK, nil); !s.Passed {
		return
	}
	pause, app, exec := p.plan.Pause.ID, p.plan.App.ID, p.plan.Exec.ID
	pauseIO := p.createAndStart(p.plan.Pause)
	if pauseIO == nil {
		return
	}
	appIO := p.createAndStart(p.plan.App)
	if appIO == nil || !p.waitAfterIO("wait_process", app, "", appIO) {
		return
	}

	s, stats := p.call("stats_container", pause, agentService+"StatsContainer", containerRequest(pause), codes.OK, decodeStats)
	if stats != nil {
		p.require(s, stats.(*statsSummary).CgroupStats, "StatsContainerResponse without cgroup_stats")
	}
	if !s.Passed {
		return
	}

	execReq := execProcessRequest(pause, exec, p.plan.Exec.Process)
	if p.copier.denied {
		if s, _ := p.call("exec_process", target(pause, exec), agentService+"ExecProcess", execReq, codes.PermissionDenied, nil); !s.Passed {
			return
		}
	} else {
		if s, _ := p.call("exec_process", target(pause, exec), agentService+"ExecProcess", execReq, codes.OK, nil); !s.Passed {
			return
		}
		if !p.waitAfterIO("wait_process", pause, exec, p.copier.start(pause, exec)) {
			return
		}
	}

	s, metrics := p.call("get_metrics", "", agentService+"GetMetrics", nil, codes.OK, decodeMetrics)
	if metrics != nil {
		p.require(s, metrics.(*metricsSummary).Bytes > 0, "GetMetrics answered no text")
	}
	if !s.Passed {
		return
	}
	unknown := "no-such-container"
	if s, _ := p.call("start_unknown_container", unknown, agentService+"StartContainer", containerRequest(unknown), codes.NotFound, nil); !s.Passed {
		return
	}
	if s, _ := p.call("signal_process", pause, agentService+"SignalProcess", signalProcessRequest(pause, "", sigterm), codes.OK, nil); !s.Passed {
		return
	}
	p.waitAfterIO("wait_process", pause, "", pauseIO)
}

// createAndStart creates and starts a container and starts its copies, as the shim starts a
// task's I/O with the task; nil if a step failed.
func (p *podRun) createAndStart(c planContainer) *procIO {
	if s, _ := p.call("create_container", c.ID, agentService+"CreateContainer", c.Create, codes.OK, nil); !s.Passed {
		return nil
	}
	p.created = append(p.created, c.ID)
	if s, _ := p.call("start_container", c.ID, agentService+"StartContainer", containerRequest(c.ID), codes.OK, nil); !s.Passed {
		return nil
	}
	return p.copier.start(c.ID, "")
}

// waitAfterIO records both copies once both ended, then asks for the exit: the order of kata's
// shim, whose wait for a process first waits for that process's I/O copies to finish.
func (p *podRun) waitAfterIO(step, containerID, execID string, io *procIO) bool {
	out, errs := p.record(<-io.stdout), p.record(<-io.stderr)
	if !out.Passed || !errs.Passed {
		return false
	}
	s, _ := p.call(step, target(containerID, execID), agentService+"WaitProcess",
		waitProcessRequest(containerID, execID), codes.OK, decodeWaitProcess)
	return s.Passed
}

// teardown removes what was created and destroys the sandbox, whatever happened before.
func (p *podRun) teardown() {
	for i := len(p.created) - 1; i >= 0; i-- {
		id := p.created[i]
		p.call("remove_container", id, agentService+"RemoveContainer", removeContainerRequest(id, 0), codes.OK, nil)
	}
	if p.sandbox {
		p.call("destroy_sandbox", "", agentService+"DestroySandbox", nil, codes.OK, nil)
	}
}
