package org.cvmagent.attestation.aael;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * The write-ahead record CoCo's AA keeps while an event is between "register extended" and
 * "entry written" ({@code /run/attestation-agent/.wal_event_entry}), so that a crash in between is
 * recovered instead of leaving a log that no longer replays to the register.
 *
 * <p>Layout: {@code offset u64 BE | pcr u64 BE | expected register value | event text}. CoCo's
 * record has no pcr field and recovers into its configured default register, which is wrong for
 * events extended into another register; ours names the register. The file is private to this
 * agent, so the extra field breaks no reader.
 */
public record WriteAheadRecord(long offset, long pcr, byte[] expectedRegister, String eventText) {
    public static final Path DEFAULT_PATH = Path.of("/run/attestation-agent/.wal_event_entry");

    public WriteAheadRecord {
        expectedRegister = expectedRegister.clone();
    }

    @Override
    public byte[] expectedRegister() {
        return expectedRegister.clone();
    }

    /** Writes the record and syncs it: it must be on disk before the register changes. */
    public void write(Path file) throws IOException {
        byte[] text = eventText.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(16 + expectedRegister.length + text.length)
                .putLong(offset).putLong(pcr).put(expectedRegister).put(text).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(false);
        }
    }

    /** The record left by an interrupted extend, if there is one; a malformed record is an error. */
    public static Optional<WriteAheadRecord> read(Path file, int registerSize) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] raw = Files.readAllBytes(file);
        if (raw.length < 16 + registerSize) {
            throw new IOException("AAEL write-ahead record " + file + " is " + raw.length + " bytes, too short for "
                    + "a " + registerSize + "-byte register value");
        }
        ByteBuffer buffer = ByteBuffer.wrap(raw);
        long offset = buffer.getLong();
        long pcr = buffer.getLong();
        byte[] expected = Arrays.copyOfRange(raw, 16, 16 + registerSize);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw, 16 + registerSize, raw.length - 16 - registerSize)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("AAEL write-ahead record " + file + ": event text is not UTF-8", e);
        }
        return Optional.of(new WriteAheadRecord(offset, pcr, expected, text));
    }
}
