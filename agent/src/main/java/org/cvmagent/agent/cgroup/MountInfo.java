package org.cvmagent.agent.cgroup;

import java.util.ArrayList;
import org.cvmagent.agent.fs.MountinfoText;
import java.util.List;
import java.util.Set;

/**
 * The cgroup mounts listed in a {@code /proc/<pid>/mountinfo} (proc(5)): for each, the root of
 * the hierarchy that is mounted, where it is mounted, its type and, for v1, the controllers it
 * carries (from the super options, e.g. {@code rw,memory} or {@code rw,cpu,cpuacct}).
 */
record MountInfo(List<Mount> cgroupMounts) {

    /** One cgroup or cgroup2 mount. {@code controllers} is empty for cgroup2. */
    record Mount(String root, String mountPoint, boolean unified, Set<String> controllers) {
    }

    static MountInfo parse(String text) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) {
                continue;
            }
            String type = post[0];
            if (type.equals("cgroup2")) {
                mounts.add(new Mount(MountinfoText.unescape(pre[3]), MountinfoText.unescape(pre[4]), true, Set.of()));
            } else if (type.equals("cgroup")) {
                mounts.add(new Mount(MountinfoText.unescape(pre[3]), MountinfoText.unescape(pre[4]), false, Set.of(post[2].split(","))));
            }
        }
        return new MountInfo(List.copyOf(mounts));
    }
}
