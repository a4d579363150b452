package org.cvmagent.agent.guest;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.cvmagent.transport.Downcalls.bind;
import static org.cvmagent.transport.Downcalls.cString;
import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

/** The guest-management system calls: statfs(2), settimeofday(2), swapon(2). */
final class GuestLibc {
    /** struct statfs on 64-bit Linux: ten longs (type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize), flags, spare. */
    private static final long STATFS_SIZE = 120;

    private final Downcall statfs;
    private final Downcall settimeofday;
    private final Downcall swapon;
    private final ErrnoText errors;

    private GuestLibc(Linker linker, SymbolLookup lookup) {
        statfs = bind(linker, lookup, "statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
                Downcalls.CAPTURE_ERRNO);
        settimeofday = bind(linker, lookup, "settimeofday", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
                Downcalls.CAPTURE_ERRNO);
        swapon = bind(linker, lookup, "swapon", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                Downcalls.CAPTURE_ERRNO);
        errors = new ErrnoText(linker, lookup);
    }

    static GuestLibc load() {
        Linker linker = Linker.nativeLinker();
        return new GuestLibc(linker, linker.defaultLookup());
    }

    /** Block size, blocks, free blocks, files, free files of the file system holding {@code path}. */
    record FsStats(long blockSize, long blocks, long freeBlocks, long files, long freeFiles) {
    }

    FsStats statfs(String path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            MemorySegment buf = arena.allocate(STATFS_SIZE, 8);
            int r = result((int) statfs.handle().invokeExact(state, cString(arena, path), buf), state);
            if (r < 0) {
                throw failure("statfs " + path, r);
            }
            return new FsStats(buf.get(JAVA_LONG, 8), buf.get(JAVA_LONG, 16), buf.get(JAVA_LONG, 24),
                    buf.get(JAVA_LONG, 40), buf.get(JAVA_LONG, 48));
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void settimeofday(long seconds, long micros) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            MemorySegment tv = arena.allocate(16, 8);
            tv.set(JAVA_LONG, 0, seconds);
            tv.set(JAVA_LONG, 8, micros);
            int r = result((int) settimeofday.handle().invokeExact(state, tv, MemorySegment.NULL), state);
            if (r < 0) {
                throw failure("settimeofday", r);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void swapon(String path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            int r = result((int) swapon.handle().invokeExact(state, cString(arena, path), 0), state);
            if (r < 0) {
                throw failure("swapon " + path, r);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private IOException failure(String what, int negativeErrno) {
        return errors.failure(what, negativeErrno);
    }
}
