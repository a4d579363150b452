/**
 * What the agent does only as the guest's init (PID 1), as kata-agent does in init mode: power the
 * VM off when it stops (on DestroySandbox or SIGTERM) instead of letting PID 1 exit, which would
 * panic the kernel. Reaping orphans needs nothing here: the one {@code process.Reaper} collects
 * every child, and as PID 1 every orphan in the guest is a child. The early mounts (proc, sys,
 * devtmpfs, run, tmp, cgroup2), module loading, loopback and the {@code /dev/virtio-ports} links
 * are done by the image's busybox {@code /init} before it execs the JVM (see rootfs/init), because
 * the JVM itself needs /proc and /dev before it can start.
 */
package org.cvmagent.agent.init;
