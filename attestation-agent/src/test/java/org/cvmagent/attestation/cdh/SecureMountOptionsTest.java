package org.cvmagent.attestation.cdh;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.proto.cdh.SecureMountRequest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecureMountOptionsTest {

    private static SecureMountRequest request(Map<String, String> options) {
        return SecureMountRequest.newBuilder().setVolumeType("block-device").putAllOptions(options)
                .setMountPoint("/run/kata-containers/sandbox/storage/v").build();
    }

    private static String refused(SecureMountRequest request) {
        return assertThrows(IllegalArgumentException.class, () -> SecureMountOptions.parse(request)).getMessage();
    }

    @Test
    void newerGeneration() {
        BlockDeviceMount m = SecureMountOptions.parse(request(Map.of("devicePath", "/dev/vdb", "encryptionType", "luks2",
                "key", "kbs:///default/disk/k1", "sourceType", "encrypted", "targetType", "fileSystem",
                "filesystemType", "ext4", "dataIntegrity", "true", "mapperName", "vol-1", "mkfsOpts", "")));
        assertEquals(Optional.of("/dev/vdb"), m.devicePath());
        assertEquals(Optional.empty(), m.deviceId());
        assertEquals("kbs:///default/disk/k1", ((BlockDeviceMount.KeySource.Kbs) m.key()).uri().toString());
        assertEquals(BlockDeviceMount.Source.ENCRYPTED, m.source());
        assertEquals("/run/kata-containers/sandbox/storage/v", m.mountPoint());
    }

    @Test
    void olderGeneration() {
        BlockDeviceMount m = SecureMountOptions.parse(request(Map.of("deviceId", "252:16", "encryptType", "luks",
                "encryptKey", "sealed.h.p.s", "dataIntegrity", "false")));
        assertInstanceOf(BlockDeviceMount.KeySource.Sealed.class, m.key());
        assertEquals(BlockDeviceMount.Source.ANY, m.source());
        assertTrue(SecureMountOptions.parse(request(Map.of("deviceId", "252:16", "encryptType", "luks"))).ephemeral());
        assertTrue(SecureMountOptions.parse(request(Map.of("deviceId", "252:16", "encryptionType", "luks2",
                "key", "ephemeral"))).ephemeral());
    }

    @Test
    void everyBadOptionIsRefusedByName() {
        record Case(Map<String, String> options, String says) { }
        for (Case c : List.of(
                new Case(Map.of("deviceId", "1:2"), "encryptionType (luks2) is missing"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "zfs"), "encryptionType \"zfs\""),
                new Case(Map.of("encryptionType", "luks2"), "neither deviceId nor devicePath"),
                new Case(Map.of("deviceId", "1:2:3", "encryptionType", "luks2"), "not MAJOR:MINOR"),
                new Case(Map.of("devicePath", "/etc/passwd", "encryptionType", "luks2"), "directly in /dev"),
                new Case(Map.of("devicePath", "/dev/../etc/x", "encryptionType", "luks2"), "directly in /dev"),
                new Case(Map.of("devicePath", "/dev/mapper/root", "encryptionType", "luks2"), "directly in /dev"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "encryptType", "luks"), "both encryptType"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "a", "encryptKey", "b"), "both encryptKey"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "kbs:///a/b"), "path segments"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "kbs://kbs.evil:80/a/b/c"), "names a KBS of its own"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "file:///k"), "file:// keys are not served"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "hunter2"), "neither ephemeral"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "sourceType", "encrypted"), "needs a key"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "sourceType", "full"), "sourceType \"full\""),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "targetType", "device"), "targetType \"device\""),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "filesystemType", "xfs"), "filesystemType"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "mkfsOpts", "-O ^has_journal"), "mkfsOpts"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "dataIntegrity", "maybe"), "dataIntegrity"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "mapperName", "../x"), "mapperName"),
                new Case(Map.of("deviceId", "1:2", "encryptionType", "luks2", "sourcePath", "/dev/vdb"), "unknown option"))) {
            String message = refused(request(c.options()));
            assertTrue(message.contains(c.says()), c.options() + ": " + message);
        }
        assertTrue(!refused(request(Map.of("deviceId", "1:2", "encryptionType", "luks2", "key", "hunter2")))
                .contains("hunter2"), "a mistyped secret is not echoed");
        assertTrue(refused(SecureMountRequest.newBuilder().setVolumeType("alibaba-cloud-oss").build())
                .contains("not served"));
        assertTrue(refused(request(Map.of("deviceId", "1:2", "encryptionType", "luks2")).toBuilder()
                .addFlags("x").build()).contains("flags"));
        assertTrue(refused(request(Map.of("deviceId", "1:2", "encryptionType", "luks2")).toBuilder()
                .setMountPoint("relative").build()).contains("absolute"));
    }
}
