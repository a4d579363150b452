/**
 * Kata's storage handling ({@code Storage} in CreateSandbox and CreateContainer requests): a
 * {@link org.cvmagent.agent.storage.StorageManager} per sandbox keeps the storages reference-counted
 * by mount point and hands each to the {@link org.cvmagent.agent.storage.StorageHandler} registered
 * for its kata driver name in {@link org.cvmagent.agent.storage.StorageHandlers}.
 *
 * <p>Confinement: every mount point must lie beneath the sandbox root; its directory is created and
 * opened through {@link org.cvmagent.agent.fs.ConfinedRoot}, and mounts are built detached and
 * attached onto that open directory with move_mount ({@link org.cvmagent.agent.storage.Mounter}),
 * so no name the host can change is resolved between the check and the mount.
 */
package org.cvmagent.agent.storage;
