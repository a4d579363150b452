package org.cvmagent.agent.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.cvmagent.proto.agent.CopyFileRequest;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CopyFile as kata's shim drives it, and as a hostile host would try to abuse it (root: chown). */
class SharedFilesTest {
    @TempDir
    Path tmp;
    private Path shared;
    private Path outside;
    private SharedFiles files;

    @BeforeEach
    void setUp() throws IOException {
        shared = tmp.resolve("run/kata-containers/shared/containers");
        outside = Files.createDirectories(tmp.resolve("outside"));
        files = new SharedFiles(shared);
    }

    private static CopyFileRequest.Builder file(Path path, byte[] data, int mode) {
        return CopyFileRequest.newBuilder().setPath(path.toString()).setFileSize(data.length).setFileMode(0100000 | mode)
                .setDirMode(0750).setUid(1000).setGid(1001).setOffset(0).setData(ByteString.copyFrom(data));
    }

    private int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    private int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private long countOutside() throws IOException {
        try (Stream<Path> s = Files.walk(outside)) {
            return s.count();
        }
    }

    @Test
    void aBigFileArrivesInChunksAndAppearsWhole() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Path dest = shared.resolve("c1/rootfs/etc/app.conf");
        int chunk = 1024 * 1024;
        for (int off = 0; off < data.length; off += chunk) {
            int n = Math.min(chunk, data.length - off);
            byte[] part = java.util.Arrays.copyOfRange(data, off, off + n);
            files.copy(file(dest, data, 0640).setOffset(off).setData(ByteString.copyFrom(part)).build());
            assertEquals(off + n == data.length, Files.exists(dest), "visible only when complete (offset " + off + ")");
        }
        assertArrayEquals(data, Files.readAllBytes(dest));
        assertEquals(0640, mode(dest));
        assertEquals(1000, uid(dest));
        assertEquals(1000, uid(dest.getParent()), "created parents are chowned too");
        assertEquals(0750, mode(dest.getParent()) & 0777);
        assertFalse(Files.exists(dest.resolveSibling("app.tmp")), "the temporary file was renamed");
    }

    @Test
    void directoriesAndLinksWithModesAndOwners() throws Exception {
        Path dir = shared.resolve("c1/volumes/cfg");
        files.copy(CopyFileRequest.newBuilder().setPath(dir.toString()).setFileMode(0040000 | 01777).setDirMode(0755)
                .setUid(5).setGid(6).build());
        assertTrue(Files.isDirectory(dir));
        assertEquals(01777, mode(dir));
        assertEquals(5, uid(dir));
        Path link = dir.resolve("..data");
        files.copy(CopyFileRequest.newBuilder().setPath(link.toString()).setFileMode(0120000 | 0777).setDirMode(0755)
                .setUid(7).setGid(8).setData(ByteString.copyFromUtf8("..2024_01_01")).build());
        assertEquals(Path.of("..2024_01_01"), Files.readSymbolicLink(link));
        assertEquals(7, uid(link));
        // kata's configmap update: the link is replaced by a new one
        files.copy(CopyFileRequest.newBuilder().setPath(link.toString()).setFileMode(0120000 | 0777).setDirMode(0755)
                .setData(ByteString.copyFromUtf8("..2024_02_02")).build());
        assertEquals(Path.of("..2024_02_02"), Files.readSymbolicLink(link));
    }

    @Test
    void pathsOutsideTheSharedDirectoryAreRefused() throws Exception {
        for (String bad : new String[] {outside.resolve("x").toString(), shared + "/../../../outside/x",
            "relative/x", shared.toString(), shared + "/c1/..", tmp.resolve("run/kata-containers/shared/containersX/a")
                .toString()}) {
            RpcException e = assertThrows(RpcException.class,
                    () -> files.copy(file(Path.of("/"), new byte[] {1}, 0644).setPath(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), bad);
        }
        assertEquals(0, countOutside() - 1);
    }

    @Test
    void linksPlantedByEarlierRequestsCannotLeadOutside() throws Exception {
        // the host plants links to the outside, then writes through them
        for (String target : new String[] {outside.toString(), "../../../../../outside", "/"}) {
            Path link = shared.resolve("c2/evil");
            files.copy(CopyFileRequest.newBuilder().setPath(link.toString()).setFileMode(0120000 | 0777)
                    .setData(ByteString.copyFromUtf8(target)).build());
            files.copy(file(link.resolve("pwned"), "x".getBytes(StandardCharsets.UTF_8), 0644).build());
            assertEquals(0, countOutside() - 1, "nothing written outside through a link to " + target);
        }
        // a link as the file itself is replaced, never written through
        Path victim = Files.writeString(outside.resolve("victim"), "keep");
        Path fileLink = shared.resolve("c3/file");
        files.copy(CopyFileRequest.newBuilder().setPath(fileLink.toString()).setFileMode(0120000 | 0777)
                .setData(ByteString.copyFromUtf8(victim.toString())).build());
        files.copy(file(fileLink, "new".getBytes(StandardCharsets.UTF_8), 0644).build());
        assertEquals("keep", Files.readString(victim));
        assertEquals("new", Files.readString(fileLink));
        assertFalse(Files.isSymbolicLink(fileLink));
        // and a planted link named like the temporary file is not written through either
        Files.delete(victim);
        Files.writeString(victim, "keep");
        files.copy(CopyFileRequest.newBuilder().setPath(shared.resolve("c3/data.tmp").toString())
                .setFileMode(0120000 | 0777).setData(ByteString.copyFromUtf8(victim.toString())).build());
        assertThrows(IOException.class, () -> files.copy(file(shared.resolve("c3/data.bin"), new byte[10], 0644)
                .setData(ByteString.copyFrom(new byte[5])).build()));
        assertEquals("keep", Files.readString(victim));
    }

    @Test
    void malformedRequestsAreInvalidArguments() {
        Path dest = shared.resolve("c4/f");
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> files.copy(file(dest, new byte[4], 0644).setOffset(-1).build())).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> files.copy(file(dest, new byte[4], 0644).setFileSize(2).build())).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> files.copy(file(dest, new byte[4], 0644).setOffset(Long.MAX_VALUE - 1).build())).code(),
                "an offset that would overflow the size check");
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> files.copy(file(dest, new byte[4], 0644).setFileMode(0020000 | 0644).build())).code(),
                "a character device is not something CopyFile makes");
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> files.copy(CopyFileRequest.newBuilder().setPath(dest.toString()).setFileMode(0120000).build()))
                .code(), "a link without a target");
        assertEquals("x.tmp", SharedFiles.tmpName("x.conf"));
        assertEquals("x.tmp", SharedFiles.tmpName("x"));
        assertEquals("..tmp", SharedFiles.tmpName("..data"), "as Rust's set_extension names it");
        assertEquals(".bashrc.tmp", SharedFiles.tmpName(".bashrc"));
    }
}
