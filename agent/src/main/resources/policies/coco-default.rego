# The confidential default: the host may run the pod, but not look into it. Everything is
# allowed except
#   ExecProcessRequest  - running commands in a container (kubectl exec)
#   ReadStreamRequest   - reading a process's stdout/stderr (kubectl logs, exec output); as in
#                         kata, a denied read is answered with empty data, not an error
#   WriteStreamRequest  - writing to a process's stdin (kubectl exec -i, attach)
# as kata's allow-all-except-exec-process.rego does for exec, and as a confidential workload
# needs for its output: a host that can read logs or feed stdin can read or steer the workload.
#
# SetPolicyRequest is allowed, so the runtime can install the pod's own policy (genpolicy's)
# over this one; deny it too where the image's policy must be final.

package agent_policy

import future.keywords.if
import future.keywords.in

default AddARPNeighborsRequest := true
default AddSwapPathRequest := true
default AddSwapRequest := true
default CloseStdinRequest := true
default CopyFileRequest := true
default CreateContainerRequest := true
default CreateSandboxRequest := true
default DestroySandboxRequest := true
default GetDiagnosticDataRequest := true
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
default RemoveContainerRequest := true
default RemoveStaleVirtiofsShareMountsRequest := true
default ReseedRandomDevRequest := true
default ResizeVolumeRequest := true
default ResumeContainerRequest := true
default SetGuestDateTimeRequest := true
default SetIPTablesRequest := true
default SetPolicyRequest := true
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

default ExecProcessRequest := false
default ReadStreamRequest := false
default WriteStreamRequest := false

# Example: allow a few exact commands through exec, as OpenShift sandboxed containers users
# write it (the command is the process's Args joined by spaces). Uncomment and list your own;
# each allowed command is a way in for the host, so keep them read-only and specific.
#
# ExecProcessRequest if {
#     input_command := concat(" ", input.process.Args)
#     some allowed_command in policy_data.allowed_commands
#     input_command == allowed_command
# }
#
# policy_data := {
#     "allowed_commands": [
#         "curl http://127.0.0.1:8006/cdh/resource/default/attestation-status/status",
#         "cat /proc/loadavg",
#     ],
# }
#
# An exec'd command's output comes back through ReadStreamRequest, so allowing exec output also
# needs ReadStreamRequest (which opens every process's output to the host, logs included).
