/**
 * Scoped handling of every path the host names (container ids, mount destinations, CopyFile
 * paths, storage mount points), after Kata's escapes through {@code ..}, absolute paths and
 * symbolic links.
 *
 * <ul>
 *   <li>{@link org.cvmagent.agent.fs.ScopedPath#requireSimpleName} for ids that become one path
 *       component;</li>
 *   <li>{@link org.cvmagent.agent.fs.ScopedPath#join} to name a path under a root (securejoin
 *       semantics), when only a name is needed;</li>
 *   <li>{@link org.cvmagent.agent.fs.ConfinedRoot} to create or write anything, with the kernel
 *       enforcing the root at the moment of use (openat2 {@code RESOLVE_IN_ROOT}).</li>
 * </ul>
 */
package org.cvmagent.agent.fs;
