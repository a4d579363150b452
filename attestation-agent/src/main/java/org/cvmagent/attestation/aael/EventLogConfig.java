package org.cvmagent.attestation.aael;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;

/**
 * aa.toml's {@code [eventlog_config]} as CoCo's AA reads it: {@code enable_eventlog} (default
 * false: runtime measurements answer NOT_ENABLED) and {@code init_pcr}, the PCR events go to when a
 * request names none (default 17, which CoCo maps to RTMR3 on TDX).
 */
public record EventLogConfig(boolean enabled, long initPcr) {
    public static final long DEFAULT_PCR = 17;
    public static final EventLogConfig DEFAULT = new EventLogConfig(false, DEFAULT_PCR);

    /** The settings in an aa.toml text; a wrongly typed value is an error, not a default. */
    public static EventLogConfig fromAaToml(TomlMapper toml, String aaToml) throws IOException {
        JsonNode section = toml.readTree(aaToml).path("eventlog_config");
        if (section.isMissingNode()) {
            return DEFAULT;
        }
        if (!section.isObject()) {
            throw new IOException("aa.toml: eventlog_config is not a table");
        }
        boolean enabled = false;
        JsonNode enable = section.path("enable_eventlog");
        if (!enable.isMissingNode()) {
            if (!enable.isBoolean()) {
                throw new IOException("aa.toml: eventlog_config.enable_eventlog is not a boolean");
            }
            enabled = enable.booleanValue();
        }
        long pcr = DEFAULT_PCR;
        JsonNode initPcr = section.path("init_pcr");
        if (!initPcr.isMissingNode()) {
            if (!initPcr.isIntegralNumber() || initPcr.longValue() < 0) {
                throw new IOException("aa.toml: eventlog_config.init_pcr is not a non-negative integer");
            }
            pcr = initPcr.longValue();
        }
        return new EventLogConfig(enabled, pcr);
    }
}
