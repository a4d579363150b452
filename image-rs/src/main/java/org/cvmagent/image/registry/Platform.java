package org.cvmagent.image.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** An index entry's platform, and the guest's own (linux/amd64 unless configured). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Platform(
        @JsonProperty("architecture") String architecture,
        @JsonProperty("os") String os,
        @JsonProperty("variant") String variant) {

    public static final Platform LINUX_AMD64 = new Platform("amd64", "linux", null);

    /** Parses {@code os/arch[/variant]}. */
    public static Platform parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("platform must be os/arch[/variant]: " + text);
        }
        return new Platform(parts[1], parts[0], parts.length == 3 ? parts[2] : null);
    }

    /**
     * Whether an index entry with this platform can run on {@code guest}: os and architecture
     * must be equal; a variant matters only when the guest names one.
     */
    public boolean runsOn(Platform guest) {
        return guest.os().equals(os) && guest.architecture().equals(architecture)
                && (guest.variant() == null || guest.variant().equals(variant));
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
