package org.cvmagent.agent.runtime;

import org.cvmagent.agent.process.SpawnedProcess;

/**
 * A container after {@code runc create}: its id, its init's pid, and the runc process whose
 * streams are the init's stdio when they were pipes.
 */
public record CreatedContainer(String id, long initPid, SpawnedProcess stdio) {
}
