package org.cvmagent.image.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.VerifyingInputStream;
import org.cvmagent.image.store.Layer;
import org.cvmagent.image.store.LayerProgress;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.NativeFs;
import org.cvmagent.image.store.UnpackPolicy;
import org.cvmagent.image.testing.Commands;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rootfs by overlay (on tmpfs, and overlay over overlay) and by copy: the same tree either way. */
class RootfsProvisionerTest {
    @TempDir
    Path temp;
    private final NativeFs nativeFs = new NativeFs();
    private final Mounter mounter = Mounter.commands();
    private final Deque<Path> mounts = new ArrayDeque<>();

    @AfterEach
    void unmountAll() throws IOException {
        while (!mounts.isEmpty()) {
            mounter.unmount(mounts.pop());
        }
    }

    private static final List<byte[]> LAYERS = List.of(
            new TarBuilder().dir("etc", 0755).file("etc/a", "a").file("etc/b", "b").dir("opt/d", 0700)
                    .file("opt/d/old", "old").charDevice("dev/null", 1, 3, 0666).fifo("run/fifo", 0600)
                    .file("bin/tool", "t".getBytes(), 0755, 0, 0).hardlink("bin/tool2", "bin/tool").symlink("lib", "usr/lib")
                    .tar(),
            new TarBuilder().whiteout("etc/a").dir("opt/d", 0700).opaque("opt/d").file("opt/d/new", "new").whiteout("lib")
                    .dir("lib", 0755).file("lib/real", "r").tar(),
            new TarBuilder().file("etc/b", "b2").whiteout("run").tar());

    private List<Layer> layers(Path storeRoot) throws IOException {
        LayerStore store = LayerStore.open(storeRoot, nativeFs, true);
        List<Layer> out = new ArrayList<>();
        for (byte[] tar : LAYERS) {
            Digest d = Digest.sha256(tar);
            out.add(store.ensure(d, MediaTypes.OCI_LAYER_TAR,
                    () -> new VerifyingInputStream(new java.io.ByteArrayInputStream(tar), d, tar.length),
                    UnpackPolicy.defaults(true), LayerProgress.NONE).layer());
        }
        return out;
    }

    /** path → type and content, the view a container gets. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    m.put(rel, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(rel, "dir " + Integer.toOctalString((int) Files.getAttribute(p, "unix:mode") & 07777));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(rel, "file " + Files.readString(p));
                } else {
                    m.put(rel, "special " + Integer.toOctalString((int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS))
                            + " " + Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS));
                }
            }
        }
        return m;
    }

    private static Map<String, String> expected() {
        Map<String, String> m = new TreeMap<>();
        m.put("", "dir 755");
        m.put("etc", "dir 755");
        m.put("etc/b", "file b2");
        m.put("opt", "dir 755");
        m.put("opt/d", "dir 700");
        m.put("opt/d/new", "file new");
        m.put("dev", "dir 755");
        m.put("dev/null", "special 20666 " + NativeFs.makedev(1, 3));
        m.put("bin", "dir 755");
        m.put("bin/tool", "file t");
        m.put("bin/tool2", "file t");
        m.put("lib", "dir 755");
        m.put("lib/real", "file r");
        return m;
    }

    private Path tmpfs(String name) throws Exception {
        Path dir = Files.createDirectory(temp.resolve(name));
        Commands.run(List.of("mount", "-t", "tmpfs", "tmpfs", dir.toString()));
        mounts.push(dir);
        return dir;
    }

    @Test
    void copyAppliesWhiteoutsOpaqueDirsAndKeepsSpecialFiles() throws Exception {
        List<Layer> layers = layers(temp.resolve("store"));
        RootfsProvisioner copy = new RootfsProvisioner(new OverlaySupport(temp.resolve("none")), mounter,
                new LayerCopier(nativeFs, true));
        ContainerRootfs r = copy.create(layers, temp.resolve("c"));
        assertEquals(ContainerRootfs.Kind.COPY, r.kind());
        assertEquals("the kernel has no overlayfs", r.note());
        assertEquals(expected(), tree(r.rootfs()));
        assertEquals(Files.getAttribute(r.rootfs().resolve("bin/tool"), "unix:ino"),
                Files.getAttribute(r.rootfs().resolve("bin/tool2"), "unix:ino"), "hardlink kept in the copy");
        copy.remove(r);
        assertFalse(Files.exists(temp.resolve("c")));
    }

    @Test
    void overlayOnTmpfsGivesTheSameTreeAndPrivateWrites() throws Exception {
        assertTrue(OverlaySupport.system().available(), "this kernel has overlayfs");
        Path base = tmpfs("t");
        List<Layer> layers = layers(base.resolve("store"));
        RootfsProvisioner p = new RootfsProvisioner(OverlaySupport.system(), mounter, new LayerCopier(nativeFs, true));
        ContainerRootfs a = p.create(layers, base.resolve("a"));
        ContainerRootfs b = p.create(layers, base.resolve("b"));
        try {
            assertEquals(ContainerRootfs.Kind.OVERLAY, a.kind(), a.note());
            assertEquals(expected(), tree(a.rootfs()));
            Files.writeString(a.rootfs().resolve("etc/b"), "changed");
            assertEquals("changed", Files.readString(a.containerDir().resolve("upper/etc/b")));
            assertEquals("b2", Files.readString(b.rootfs().resolve("etc/b")), "containers do not share writes");
            assertEquals("b2", Files.readString(layers.get(2).diff().resolve("etc/b")), "layers stay read-only");
        } finally {
            p.remove(a);
            p.remove(b);
        }
        assertFalse(Files.exists(base.resolve("a")));
    }

    @Test
    void overlayOverOverlayEitherWorksOrFallsBackToACorrectCopy() throws Exception {
        Path base = tmpfs("t");
        Path lower = Files.createDirectories(base.resolve("l"));
        Path upper = Files.createDirectories(base.resolve("u"));
        Path work = Files.createDirectories(base.resolve("w"));
        Path merged = Files.createDirectories(base.resolve("m"));
        mounter.mountOverlay("lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, merged);
        mounts.push(merged);
        List<Layer> layers = layers(merged.resolve("store"));
        RootfsProvisioner p = new RootfsProvisioner(OverlaySupport.system(), mounter, new LayerCopier(nativeFs, true));
        ContainerRootfs r = p.create(layers, merged.resolve("c"));
        try {
            // For the record (the test output file): which way this kernel went.
            System.out.println("overlay over overlay: " + r.kind() + " " + r.note());
            assertEquals(expected(), tree(r.rootfs()), "kind " + r.kind() + " " + r.note());
            if (r.kind() == ContainerRootfs.Kind.COPY) {
                assertTrue(r.note().startsWith("overlay mount failed") || r.note().contains("no overlay whiteout markers"),
                        r.note());
            }
        } finally {
            p.remove(r);
        }
    }
}
