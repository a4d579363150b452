/**
 * A container's cgroups as StatsContainer and GetOOMEvent see them: {@link
 * org.cvmagent.agent.cgroup.CgroupLocator} finds a process's cgroup v1 controller directories or
 * cgroup v2 directory; {@link org.cvmagent.agent.cgroup.CgroupStatsReader} builds kata's
 * {@code CgroupStats} from them and {@link org.cvmagent.agent.cgroup.NetworkStatsReader} the
 * {@code NetworkStats} of the process's network namespace; {@link
 * org.cvmagent.agent.cgroup.OomMonitor} reports OOM kills. v1 (and hybrid) hosts and the v2 guest
 * are both handled, as kata-agent handles them.
 */
package org.cvmagent.agent.cgroup;
