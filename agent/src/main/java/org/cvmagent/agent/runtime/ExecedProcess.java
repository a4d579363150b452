package org.cvmagent.agent.runtime;

import org.cvmagent.agent.process.SpawnedProcess;

/**
 * A process started in a running container by {@code runc exec --detach}: the container's id, the
 * process's pid (re-parented to the agent once runc exited), and the runc process whose streams are
 * the process's stdio when they were pipes.
 */
public record ExecedProcess(String containerId, long pid, SpawnedProcess stdio) {
}
