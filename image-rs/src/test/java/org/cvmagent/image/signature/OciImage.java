package org.cvmagent.image.signature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A one-layer OCI image layout written by the test (the layer is a tar made by tar(1)). */
record OciImage(Path layout, byte[] manifest, String manifestDigest) {

    static OciImage create(Path dir, String tag, String fileContent) throws IOException, InterruptedException {
        Tools.requireBinary("tar");
        Path content = Files.createDirectories(dir.resolve("content"));
        Files.writeString(content.resolve("hello.txt"), fileContent);
        Path layout = Files.createDirectories(dir.resolve("layout"));
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path tar = dir.resolve("layer.tar");
        Tools.run(List.of("tar", "--mtime=@0", "--owner=0", "--group=0", "-cf", tar.toString(), "-C", content.toString(),
                "hello.txt"), Map.of());
        byte[] layer = Files.readAllBytes(tar);
        String layerDigest = put(blobs, layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + layerDigest + "\"]},\"config\":{}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = put(blobs, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String manifestDigest = put(blobs, manifest);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
        return new OciImage(layout, manifest, manifestDigest);
    }

    private static String put(Path blobs, byte[] data) throws IOException {
        String digest = ManifestDigest.of(data, "sha256");
        Files.write(blobs.resolve(digest.substring("sha256:".length())), data);
        return digest;
    }
}
