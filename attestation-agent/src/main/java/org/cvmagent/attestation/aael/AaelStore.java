package org.cvmagent.attestation.aael;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The AAEL entries, in memory and in the file where CoCo's attestation agent keeps them
 * ({@code /run/attestation-agent/eventlog}). Evidence is built from the memory copy, so a file
 * altered behind our back cannot change what is reported; the file is there for other readers and
 * for a restarted agent, which picks up the entries already extended into the registers.
 * Every write is synced before it returns, as CoCo does, so the write-ahead record can be trusted.
 */
public final class AaelStore implements AaelSource {
    public static final Path DEFAULT_PATH = Path.of("/run/attestation-agent/eventlog");

    private final Path file;
    private final ByteArrayOutputStream memory = new ByteArrayOutputStream();
    /** Evidence reads under the read lock, a whole extend (register and entry) holds the write lock. */
    private final ReentrantReadWriteLock extending = new ReentrantReadWriteLock();

    private AaelStore(Path file, byte[] existing) {
        this.file = file;
        memory.writeBytes(existing);
    }

    /** Opens the log file, creating it and its directory, and loads what an earlier run recorded. */
    public static AaelStore open(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        return new AaelStore(file, Files.readAllBytes(file));
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized byte[] entries() {
        return memory.toByteArray();
    }

    @Override
    public <T, E extends Exception> T stable(Action<T, E> action) throws E {
        extending.readLock().lock();
        try {
            return action.run();
        } finally {
            extending.readLock().unlock();
        }
    }

    /** Runs one extend (register and entry) with evidence held off. */
    <T, E extends Exception> T exclusive(Action<T, E> action) throws E {
        extending.writeLock().lock();
        try {
            return action.run();
        } finally {
            extending.writeLock().unlock();
        }
    }

    /** Where the next entry starts. */
    public synchronized long size() {
        return memory.size();
    }

    /** Appends one entry. */
    public synchronized void append(byte[] entry) throws IOException {
        writeAt(memory.size(), entry);
    }

    /**
     * Writes an entry at an offset no further than the end: a recovery rewrites the entry whose
     * write a crash may have cut short, dropping whatever partial bytes followed it.
     */
    public synchronized void writeAt(long offset, byte[] entry) throws IOException {
        if (offset < 0 || offset > memory.size()) {
            throw new IOException("AAEL: entry offset " + offset + " is outside the log of " + memory.size() + " bytes");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(offset);
            ByteBuffer buffer = ByteBuffer.wrap(entry);
            long position = offset;
            while (buffer.hasRemaining()) {
                position += ch.write(buffer, position);
            }
            ch.force(false);
        }
        byte[] kept = memory.toByteArray();
        memory.reset();
        memory.write(kept, 0, (int) offset);
        memory.writeBytes(entry);
    }
}
