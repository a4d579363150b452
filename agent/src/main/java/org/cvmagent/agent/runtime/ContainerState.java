package org.cvmagent.agent.runtime;

/** What {@code runc state} reports: id, status ({@code created}, {@code running}, {@code paused}, {@code stopped}), init pid. */
public record ContainerState(String id, String status, long pid) {
}
