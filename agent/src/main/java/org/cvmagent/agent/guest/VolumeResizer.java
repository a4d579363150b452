package org.cvmagent.agent.guest;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cvmagent.agent.fs.MountinfoText;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.rpc.RpcException;

/**
 * ResizeVolume: after the host grew a volume's block device, the file system mounted at the volume
 * path grows online to fill it (resize2fs for ext2/3/4, xfs_growfs for XFS). kata-agent itself
 * answers UNIMPLEMENTED here; the CSI expansion flow is what a kubelet expects.
 */
public final class VolumeResizer {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final CommandRunner commands;
    private final Path mountinfo;

    public VolumeResizer(CommandRunner commands, Path mountinfo) {
        this.commands = commands;
        this.mountinfo = mountinfo;
    }

    public void resize(String volumePath, long size) throws RpcException {
        Path p = Path.of(volumePath);
        if (!p.isAbsolute()) {
            throw RpcException.invalidArgument("ResizeVolume: volume_guest_path " + volumePath + " is not absolute");
        }
        String[] mount = mountAt(p.normalize().toString());
        String fsType = mount[0];
        String device = mount[1];
        if (!device.startsWith("/dev/")) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "ResizeVolume: " + volumePath + " is a " + fsType
                    + " mount of " + device + ", not a block device");
        }
        try {
            long deviceSize = sectors(device) * 512;
            if (size > 0 && deviceSize < size) {
                throw new RpcException(Status.Code.FAILED_PRECONDITION, "ResizeVolume: " + device + " is " + deviceSize
                        + " bytes, smaller than the requested " + size + " (the host has not grown it yet)");
            }
            List<String> argv = switch (fsType) {
                case "ext2", "ext3", "ext4" -> List.of("resize2fs", device);
                case "xfs" -> List.of("xfs_growfs", volumePath);
                default -> throw new RpcException(Status.Code.FAILED_PRECONDITION, "ResizeVolume: cannot grow a "
                        + fsType + " file system");
            };
            CommandResult r = commands.run(argv, List.of("PATH=" + SpawnSpec.DEFAULT_PATH), TIMEOUT);
            if (!r.succeeded()) {
                throw new RpcException(Status.Code.INTERNAL, "ResizeVolume: " + String.join(" ", argv) + ": "
                        + r.stderrText().strip());
            }
        } catch (IOException e) {
            throw new RpcException(Status.Code.INTERNAL, "ResizeVolume " + volumePath + ": " + e.getMessage(), e);
        }
    }

    private static long sectors(String device) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/block").resolve(Path.of(device).getFileName())
                .resolve("size")).strip());
    }

    /** File system type and source of the mount whose mount point is exactly the path. */
    private String[] mountAt(String path) throws RpcException {
        try {
            String[] found = null;
            for (String line : Files.readAllLines(mountinfo)) {
                String[] halves = line.split(" - ", 2);
                String[] left = halves[0].split(" ");
                String[] right = halves.length > 1 ? halves[1].split(" ") : new String[0];
                if (left.length > 4 && right.length > 1 && MountinfoText.unescape(left[4]).equals(path)) {
                    found = new String[] {right[0], MountinfoText.unescape(right[1])}; // the last mount on top wins
                }
            }
            if (found == null) {
                throw RpcException.notFound("ResizeVolume: nothing is mounted at " + path);
            }
            return found;
        } catch (IOException e) {
            throw new RpcException(Status.Code.INTERNAL, "ResizeVolume: cannot read " + mountinfo + ": "
                    + e.getMessage(), e);
        }
    }
}
