package org.cvmagent.image.store;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A deletion recorded by a layer: {@code path} (relative, '/'-separated) is removed from the
 * layers below, or, when {@code opaque}, the directory {@code path} hides everything below it.
 */
public record Whiteout(@JsonProperty("path") String path, @JsonProperty("opaque") boolean opaque) {
}
