package org.cvmagent.attestation.tdx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tdx_guest sysfs measurements (Linux 6.16+, {@code /sys/devices/virtual/misc/tdx_guest/measurements}):
 * {@code rtmrN:sha384} files that read the register and extend it when written, and {@code mrconfigid}.
 */
public final class SysfsTdxRegisters implements TdxRegisters {
    public static final Path DEFAULT_PATH = Path.of("/sys/devices/virtual/misc/tdx_guest/measurements");

    private final Path dir;

    public SysfsTdxRegisters(Path dir) {
        this.dir = dir;
    }

    public boolean available() {
        return Files.isDirectory(dir);
    }

    @Override
    public byte[] rtmr(int index) throws IOException {
        return read(file("rtmr" + index + ":sha384"), "RTMR" + index);
    }

    @Override
    public void extendRtmr(int index, byte[] data) throws IOException {
        Files.write(file("rtmr" + index + ":sha384"), data);
    }

    @Override
    public byte[] mrConfigId() throws IOException {
        return read(file("mrconfigid"), "MRCONFIGID");
    }

    private Path file(String name) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            throw new IOException("cannot reach " + file + ": tdx_guest sysfs measurements are missing (they need "
                    + "Linux 6.16 or newer)");
        }
        return file;
    }

    private static byte[] read(Path file, String register) throws IOException {
        byte[] value = Files.readAllBytes(file);
        if (value.length != REGISTER_SIZE) {
            throw new IOException(register + " read " + value.length + " bytes from " + file + ", not " + REGISTER_SIZE);
        }
        return value;
    }
}
