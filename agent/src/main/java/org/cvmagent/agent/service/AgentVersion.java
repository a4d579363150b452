package org.cvmagent.agent.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The agent's version (from the build) and the agent API version it reports, as kata does. */
public record AgentVersion(String agentVersion, String apiVersion) {

    /** The API version kata-agent reports in {@code Health/Version}. */
    public static final String API_VERSION = "0.0.1";

    public static AgentVersion fromBuild() {
        Properties properties = new Properties();
        try (InputStream in = AgentVersion.class.getResourceAsStream("/org/cvmagent/agent/version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties missing from the agent's jar");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new AgentVersion(properties.getProperty("version"), API_VERSION);
    }
}
