# The confidential default: what a confidential guest image enforces when the pod's owner supplied
# no policy in init-data (an owner's policy.rego in measured init-data replaces this one; genpolicy
# writes such a policy per pod). The host may run the pod, but not look into it, steer it, or
# replace this policy.
#
# Denied, and why:
#   SetPolicyRequest          the host would replace the policy with its own (allow-all). The owner's
#                             policy arrives in init-data, whose digest the TEE measured.
#   ExecProcessRequest        running commands in a container (kubectl exec) runs host code inside it.
#   ReadStreamRequest         reading a process's stdout/stderr (kubectl logs) shows its output to the
#                             host. As in kata, a denied read is answered with empty data, not an
#                             error, and the agent keeps draining the output so the workload never blocks.
#   WriteStreamRequest        writing to a process's stdin steers the workload.
#   AddSwapRequest,
#   AddSwapPathRequest        swap on a host disk would write guest memory, in clear, where the host reads it.
#   SetGuestDateTimeRequest   a host-set clock makes expired or not-yet-valid certificates and
#                             signatures (registry TLS, KBS, image signatures) look valid.
#   GetDiagnosticDataRequest  returns a file of a container (its termination log) to the host.
#
# Allowed, and why each is safe without the owner's per-pod rules:
#   CreateSandbox, DestroySandbox, CreateContainer, StartContainer, RemoveContainer,
#   PauseContainer, ResumeContainer, UpdateContainer, SignalProcess, WaitProcess, CloseStdin,
#   TtyWinResize: running the pod is the host's job; it chooses the containers (this default cannot
#     pin images or commands: that is what an owner's genpolicy policy in init-data does). The agent
#     itself gives every container its own PID and mount namespace whatever the spec asks, and
#     image signatures are checked in the guest by the image policy from init-data.
#   PullImageRequest: pulled in the guest, verified against the image signature policy.
#   CopyFileRequest: writes only beneath the shared containers directory (confined by the agent);
#     a file there reaches a container only through a CreateContainer mount.
#   StatsContainer, GetMetrics, GetOOMEvent, GuestDetails, ListInterfaces, ListRoutes,
#   GetIPTables, VolumeStats: counters and configuration the host set up or can observe anyway.
#   UpdateInterface, UpdateRoutes, AddARPNeighbors, SetIPTables: the network is the host's.
#   OnlineCPUMem, MemHotplugByProbe, MemAgent*, ResizeVolume, UpdateEphemeralMounts,
#   RemoveStaleVirtiofsShareMounts: resources the host provides.
#   ReseedRandomDev: mixing bytes into the kernel's pool never lowers its entropy.
#   StartTracing, StopTracing: not served by this agent.

package agent_policy

default AddARPNeighborsRequest := true
default AddSwapPathRequest := false
default AddSwapRequest := false
default CloseStdinRequest := true
default CopyFileRequest := true
default CreateContainerRequest := true
default CreateSandboxRequest := true
default DestroySandboxRequest := true
default ExecProcessRequest := false
default GetDiagnosticDataRequest := false
default GetIPTablesRequest := true
default GetMetricsRequest := true
default GetOOMEventRequest := true
default GuestDetailsRequest := true
default ListInterfacesRequest := true
default ListRoutesRequest := true
default MemAgentCompactConfig := true
default MemAgentMemcgConfig := true
default MemHotplugByProbeRequest := true
default OnlineCPUMemRequest := true
default PauseContainerRequest := true
default PullImageRequest := true
default ReadStreamRequest := false
default RemoveContainerRequest := true
default RemoveStaleVirtiofsShareMountsRequest := true
default ReseedRandomDevRequest := true
default ResizeVolumeRequest := true
default ResumeContainerRequest := true
default SetGuestDateTimeRequest := false
default SetIPTablesRequest := true
default SetPolicyRequest := false
default SignalProcessRequest := true
default StartContainerRequest := true
default StartTracingRequest := true
default StatsContainerRequest := true
default StopTracingRequest := true
default TtyWinResizeRequest := true
default UpdateContainerRequest := true
default UpdateEphemeralMountsRequest := true
default UpdateInterfaceRequest := true
default UpdateRoutesRequest := true
default VolumeStatsRequest := true
default WaitProcessRequest := true
default WriteStreamRequest := false
