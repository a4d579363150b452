package org.cvmagent.agent.config;

/**
 * Where the agent's settings may come from. The image decides, through its measured agent
 * configuration file ({@code confidential = true}); nothing the host controls and no runtime guess
 * (such as "no TEE device found") can switch confidential mode off.
 */
public enum TrustMode {
    /**
     * Host-mode runs and tests: kata's precedence, config file &lt; kernel command line &lt;
     * environment, and no policy means allow-all as in kata.
     */
    DEVELOPMENT,
    /**
     * The guest image: settings come from the image's configuration file and from init-data whose
     * digest matched the TEE's launch field; the host's kernel command line and environment may set
     * only what cannot weaken security ({@link HostInputs#CONFIDENTIAL_PARAMETERS},
     * {@link HostInputs#CONFIDENTIAL_ENVIRONMENT}); no policy means no service.
     */
    CONFIDENTIAL
}
