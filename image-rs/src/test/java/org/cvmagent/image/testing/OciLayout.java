package org.cvmagent.image.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.store.Compression;

/** Writes an OCI image layout directory (what {@code skopeo copy oci:DIR:tag ...} reads). */
public final class OciLayout {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final ArrayNode refs = JSON.createArrayNode();

    /** A layer blob and its media type. */
    public record Blob(String mediaType, byte[] data) {
        public Digest digest() {
            return Digest.sha256(data);
        }
    }

    /** A written manifest or index: descriptor fields. */
    public record Written(String mediaType, Digest digest, long size) {
    }

    public OciLayout(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    public Path dir() {
        return dir;
    }

    public Digest writeBlob(byte[] data) {
        Digest d = Digest.sha256(data);
        try {
            Files.write(dir.resolve("blobs/sha256").resolve(d.hex()), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    public static byte[] config(String arch, List<String> entrypoint, List<String> cmd, List<String> env,
                                String workingDir) {
        ObjectNode root = JSON.createObjectNode();
        root.put("architecture", arch);
        root.put("os", "linux");
        ObjectNode c = root.putObject("config");
        entrypoint.forEach(c.putArray("Entrypoint")::add);
        cmd.forEach(c.putArray("Cmd")::add);
        env.forEach(c.putArray("Env")::add);
        c.put("WorkingDir", workingDir);
        root.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        return bytes(root);
    }

    /**
     * Writes an image manifest with the given config and layers. A config with an empty
     * {@code rootfs.diff_ids} (as {@link #config} makes) gets the layers' diff_ids filled in, as an
     * image builder does; a config that lists some is written as given.
     */
    public Written image(byte[] config, List<Blob> layers) {
        config = withDiffIds(config, layers);
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        ObjectNode c = m.putObject("config");
        c.put("mediaType", MediaTypes.OCI_CONFIG);
        c.put("digest", writeBlob(config).toString());
        c.put("size", config.length);
        ArrayNode ls = m.putArray("layers");
        for (Blob b : layers) {
            ObjectNode l = ls.addObject();
            l.put("mediaType", b.mediaType());
            l.put("digest", writeBlob(b.data()).toString());
            l.put("size", b.data().length);
        }
        byte[] data = bytes(m);
        return new Written(MediaTypes.OCI_MANIFEST, writeBlob(data), data.length);
    }

    private static byte[] withDiffIds(byte[] config, List<Blob> layers) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(config);
            if (!root.path("rootfs").path("diff_ids").isEmpty()) {
                return config;
            }
            ArrayNode ids = root.putObject("rootfs").put("type", "layers").putArray("diff_ids");
            for (Blob b : layers) {
                ids.add(diffId(b));
            }
            return bytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sha256 of a layer's uncompressed tar. */
    public static String diffId(Blob layer) throws IOException {
        try (InputStream tar = Compression.forMediaType(layer.mediaType()).decompress(
                new ByteArrayInputStream(layer.data()))) {
            return Digest.sha256(tar.readAllBytes()).toString();
        }
    }

    /**
     * A one-layer busybox image tagged {@code tag} in a new layout at {@code dir}: {@code sh}, {@code cat}
     * and {@code echo}, the usual top-level directories, and {@code motd} at /etc/motd; Cmd /bin/sh.
     */
    public static OciLayout busybox(Path dir, String tag, String motd) throws IOException {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        byte[] layer = TarBuilder.gzip(new TarBuilder().dir("bin", 0755).file("bin/busybox", busybox, 0755, 0, 0)
                .symlink("bin/sh", "busybox").symlink("bin/echo", "busybox").symlink("bin/cat", "busybox")
                .dir("etc", 0755).file("etc/motd", motd).dir("proc", 0755).dir("dev", 0755)
                .dir("sys", 0755).dir("tmp", 01777).tar());
        OciLayout layout = new OciLayout(dir);
        return layout.tag(tag, layout.image(config("amd64", List.of(), List.of("/bin/sh"), List.of("PATH=/bin"), "/"),
                List.of(new Blob(MediaTypes.OCI_LAYER_GZIP, layer))));
    }

    /** Writes an index of (manifest, architecture) pairs. */
    public Written index(List<Written> manifests, List<String> architectures) {
        ObjectNode idx = JSON.createObjectNode();
        idx.put("schemaVersion", 2);
        idx.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode ms = idx.putArray("manifests");
        for (int i = 0; i < manifests.size(); i++) {
            ObjectNode d = ms.addObject();
            d.put("mediaType", manifests.get(i).mediaType());
            d.put("digest", manifests.get(i).digest().toString());
            d.put("size", manifests.get(i).size());
            d.putObject("platform").put("architecture", architectures.get(i)).put("os", "linux");
        }
        byte[] data = bytes(idx);
        return new Written(MediaTypes.OCI_INDEX, writeBlob(data), data.length);
    }

    /** Names a manifest or index {@code tag} in index.json. */
    public OciLayout tag(String tag, Written w) {
        ObjectNode d = refs.addObject();
        d.put("mediaType", w.mediaType());
        d.put("digest", w.digest().toString());
        d.put("size", w.size());
        d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.set("manifests", refs);
        try {
            Files.write(dir.resolve("index.json"), bytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
