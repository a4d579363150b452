package main

// The pod's plan: the requests whose content a shim derives from containerd's bundle.
//
// A kata shim turns the OCI bundle containerd hands it into CreateContainerRequest (spec, rootfs
// on the shared storage, namespaces) and CreateSandboxRequest (hostname, DNS, storages). That
// translation is configuration, not protocol, so the test builds these messages with the same
// code as the agent's Java runc pod tests and hands them over as protobuf bytes (base64 in JSON,
// encoding/json's form of []byte). Everything else — which calls, in which order, the stream
// copies and the wait logic — is this client's.

import (
	"encoding/json"
	"fmt"
	"os"
)

type podPlan struct {
	CreateSandbox []byte        `json:"create_sandbox"` // CreateSandboxRequest
	Pause         planContainer `json:"pause"`
	App           planContainer `json:"app"`
	Exec          planExec      `json:"exec"` // run in the pause container
}

type planContainer struct {
	ID     string `json:"id"`
	Create []byte `json:"create"` // CreateContainerRequest whose container_id is ID
}

type planExec struct {
	ID      string `json:"id"`
	Process []byte `json:"process"` // agent.proto Process
}

func loadPlan(path string) (*podPlan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p podPlan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	switch {
	case len(p.CreateSandbox) == 0:
		return nil, fmt.Errorf("%s: create_sandbox is missing", path)
	case p.Pause.ID == "" || len(p.Pause.Create) == 0:
		return nil, fmt.Errorf("%s: pause needs id and create", path)
	case p.App.ID == "" || len(p.App.Create) == 0:
		return nil, fmt.Errorf("%s: app needs id and create", path)
	case p.Exec.ID == "" || len(p.Exec.Process) == 0:
		return nil, fmt.Errorf("%s: exec needs id and process", path)
	case p.Pause.ID == p.App.ID:
		return nil, fmt.Errorf("%s: pause and app need different ids", path)
	}
	return &p, nil
}
