package org.cvmagent.agent.config;

/** A setting could not be read or has an invalid value; the message names the setting. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
