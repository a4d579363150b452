package org.cvmagent.agent.initdata;

import org.cvmagent.agent.config.HostInputs;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.config.TrustMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kata's init-data disk format, read from files laid out as the runtime writes the disk (the scan
 * of /dev for block devices is exercised by the QEMU guest test, with a real virtio-blk disk).
 */
class InitDataDeviceTest {

    @TempDir
    Path dir;

    static byte[] gzip(byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** The disk image kata's runtime builds: magic, little-endian u64 length, gzip, zero padding. */
    static byte[] disk(byte[] toml) throws Exception {
        byte[] payload = gzip(toml);
        ByteBuffer disk = ByteBuffer.allocate(((16 + payload.length) / 512 + 1) * 512).order(ByteOrder.LITTLE_ENDIAN);
        disk.put(InitDataDevice.MAGIC).putLong(payload.length).put(payload);
        return disk.array();
    }

    @Test
    void thePayloadIsTheExactTomlBytes() throws Exception {
        byte[] toml = InitDataCheckTest.DOCUMENT.getBytes(StandardCharsets.UTF_8);
        Path device = Files.write(dir.resolve("vdb"), disk(toml));
        assertArrayEquals(gzip(toml), InitDataDevice.payload(device));
        assertArrayEquals(toml, org.cvmagent.agent.policy.InitData.gunzip(InitDataDevice.payload(device)));
    }

    @Test
    void malformedDisksAreRefused() throws Exception {
        byte[] good = disk(InitDataCheckTest.DOCUMENT.getBytes(StandardCharsets.UTF_8));
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(8, Long.MAX_VALUE);
        byte[] longer = good.clone();
        ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN).putLong(8, good.length);
        byte[] truncated = java.util.Arrays.copyOf(good, 12);
        for (byte[] bad : new byte[][] {huge, longer, truncated}) {
            Path device = Files.write(dir.resolve("bad"), bad);
            assertThrows(IllegalArgumentException.class, () -> InitDataDevice.payload(device));
        }
        byte[] notGzip = good.clone();
        notGzip[16] = 0;
        Path device = Files.write(dir.resolve("not-gzip"), notGzip);
        assertThrows(IllegalArgumentException.class,
                () -> org.cvmagent.agent.policy.InitData.gunzip(InitDataDevice.payload(device)));
    }

    @Test
    void regularFilesAreNotDisks() throws Exception {
        Files.write(dir.resolve("vdb"), disk(InitDataCheckTest.DOCUMENT.getBytes(StandardCharsets.UTF_8)));
        assertEquals(Optional.empty(), new InitDataDevice(dir).read());
    }

    @Test
    void sourcesAreTheCommandLineAndInDevelopmentAFileButNeverTwo() throws Exception {
        byte[] toml = InitDataCheckTest.DOCUMENT.getBytes(StandardCharsets.UTF_8);
        String parameter = "agent.initdata=" + Base64.getEncoder().encodeToString(gzip(toml));
        InitDataSources sources = new InitDataSources(new InitDataDevice(dir));
        MeasuredInitData fromCmdline = sources.load(TrustMode.CONFIDENTIAL,
                new HostInputs(KernelCmdline.parse("quiet " + parameter), Map.of())).orElseThrow();
        assertArrayEquals(toml, fromCmdline.toml());
        Path file = Files.write(dir.resolve("initdata.toml"), toml);
        MeasuredInitData fromFile = sources.load(TrustMode.DEVELOPMENT, new HostInputs(KernelCmdline.parse(""),
                Map.of(InitDataSources.ENVIRONMENT, file.toString()))).orElseThrow();
        assertArrayEquals(toml, fromFile.toml(), "a plain TOML file is hashed as it is");
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class, () -> sources.load(
                TrustMode.DEVELOPMENT, new HostInputs(KernelCmdline.parse(parameter),
                        Map.of(InitDataSources.ENVIRONMENT, file.toString()))));
        assertTrue(two.getMessage().contains("more than one source"), two.getMessage());
    }

    @Test
    void filesAreWrittenWhereKataPutsThem() throws Exception {
        byte[] toml = (InitDataCheckTest.DOCUMENT + "\"cdh.toml\" = '''\n[image]\n'''\n").getBytes(StandardCharsets.UTF_8);
        Path written = InitDataFiles.write(dir, MeasuredInitData.of(toml, "test"));
        assertEquals(dir.resolve("initdata"), written);
        assertArrayEquals(toml, Files.readAllBytes(written.resolve("initdata.toml")));
        assertEquals("[image]\n", Files.readString(written.resolve("cdh.toml")));
        assertTrue(Files.readString(written.resolve("policy.rego")).contains("ExecProcessRequest"));
        assertTrue(Files.notExists(written.resolve("aa.toml")));
    }
}
