package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.StatsContainerResponse;

import java.io.IOException;

/** StatsContainer's answer for a container, found through its init's pid. */
@FunctionalInterface
public interface ContainerStats {

    StatsContainerResponse read(long initPid) throws IOException;
}
