package main

// The agent.proto messages of the pod steps, encoded and decoded by hand (see wire.go for why).
// Field numbers, from kata-containers src/libs/protocols/protos/agent.proto (package grpc):
//
//	StartContainerRequest, StatsContainerRequest { string container_id = 1; }
//	WaitProcessRequest     { string container_id = 1; string exec_id = 2; }
//	WaitProcessResponse    { int32 status = 1; }
//	ReadStreamRequest      { string container_id = 1; string exec_id = 2; uint32 len = 3; }
//	ReadStreamResponse     { bytes data = 1; }
//	ExecProcessRequest     { string container_id = 1; string exec_id = 2; ...; Process process = 4; }
//	SignalProcessRequest   { string container_id = 1; string exec_id = 2; uint32 signal = 3; }
//	RemoveContainerRequest { string container_id = 1; uint32 timeout = 2; }
//	StatsContainerResponse { CgroupStats cgroup_stats = 1; ... }
//	CgroupStats            { CpuStats cpu_stats = 1; MemoryStats memory_stats = 2; PidsStats pids_stats = 3; ... }
//	CpuStats { CpuUsage cpu_usage = 1; }   CpuUsage { uint64 total_usage = 1; }
//	MemoryStats { MemoryData usage = 2; }  MemoryData { uint64 usage = 1; }
//	PidsStats { uint64 current = 1; }
//	Metrics { string metrics = 1; }
//	DestroySandboxRequest, GetMetricsRequest {}

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

func containerRequest(containerID string) []byte {
	var w msgBuilder
	w.string(1, containerID)
	return w.b
}

func waitProcessRequest(containerID, execID string) []byte {
	var w msgBuilder
	w.string(1, containerID)
	w.string(2, execID)
	return w.b
}

func readStreamRequest(containerID, execID string, length uint32) []byte {
	var w msgBuilder
	w.string(1, containerID)
	w.string(2, execID)
	w.int64(3, int64(length))
	return w.b
}

func execProcessRequest(containerID, execID string, process []byte) []byte {
	var w msgBuilder
	w.string(1, containerID)
	w.string(2, execID)
	w.bytes(4, process)
	return w.b
}

func signalProcessRequest(containerID, execID string, signal uint32) []byte {
	var w msgBuilder
	w.string(1, containerID)
	w.string(2, execID)
	w.int64(3, int64(signal))
	return w.b
}

func removeContainerRequest(containerID string, timeoutSeconds uint32) []byte {
	var w msgBuilder
	w.string(1, containerID)
	w.int64(2, int64(timeoutSeconds))
	return w.b
}

type waitProcessResponse struct {
	Status int32 `json:"status"`
}

func decodeWaitProcess(b []byte) (interface{}, error) {
	v, err := singleVarintField(b, 1)
	if err != nil {
		return nil, err
	}
	// int32 is sign-extended to 64 bits on the wire: the low 32 bits are the value.
	return &waitProcessResponse{Status: int32(v)}, nil
}

func decodeReadStream(b []byte) ([]byte, error) {
	return singleBytesField(b, 1)
}

type statsSummary struct {
	CgroupStats     bool   `json:"cgroup_stats"` // the field was present
	CPUTotalUsageNs uint64 `json:"cpu_total_usage_ns"`
	MemoryUsage     uint64 `json:"memory_usage_bytes"`
	PidsCurrent     uint64 `json:"pids_current"`
}

// decodeStats reads the few numbers a shim's metrics use; a nested message that is absent
// decodes as empty, as proto3 does.
func decodeStats(b []byte) (interface{}, error) {
	cg, err := singleBytesField(b, 1)
	if err != nil {
		return nil, err
	}
	s := &statsSummary{CgroupStats: cg != nil}
	path := []struct {
		dst  *uint64
		nums []protowire.Number
	}{
		{&s.CPUTotalUsageNs, []protowire.Number{1, 1, 1}},
		{&s.MemoryUsage, []protowire.Number{2, 2, 1}},
		{&s.PidsCurrent, []protowire.Number{3, 1}},
	}
	for _, p := range path {
		msg := cg
		for _, n := range p.nums[:len(p.nums)-1] {
			if msg, err = singleBytesField(msg, n); err != nil {
				return nil, fmt.Errorf("cgroup_stats field path %v: %v", p.nums, err)
			}
		}
		if *p.dst, err = singleVarintField(msg, p.nums[len(p.nums)-1]); err != nil {
			return nil, fmt.Errorf("cgroup_stats field path %v: %v", p.nums, err)
		}
	}
	return s, nil
}

type metricsSummary struct {
	Bytes     int    `json:"bytes"`
	FirstLine string `json:"first_line"`
}

func decodeMetrics(b []byte) (interface{}, error) {
	text, err := singleBytesField(b, 1)
	if err != nil {
		return nil, err
	}
	first := string(text)
	for i, c := range first {
		if c == '\n' {
			first = first[:i]
			break
		}
	}
	return &metricsSummary{Bytes: len(text), FirstLine: first}, nil
}
