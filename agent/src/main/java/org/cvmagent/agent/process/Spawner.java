package org.cvmagent.agent.process;

import java.io.IOException;

/** Starts children of the agent whose exits the agent's {@link Reaper} collects. */
public interface Spawner {

    /**
     * Starts a child as {@code spec} says.
     *
     * @throws IOException when the program cannot be found or started; no child is left behind
     */
    SpawnedProcess spawn(SpawnSpec spec) throws IOException;
}
