package org.cvmagent.agent.process;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One posix_spawn(3) call with the attributes every child of the agent gets.
 *
 * <p>glibc's posix_spawn creates the child with CLONE_VFORK and execs at once, so no Java code
 * runs in the child, which is what makes it safe from a multi-threaded JVM. In the child:
 * <ul>
 *   <li>the signal mask is empty and every signal has its default disposition (SETSIGMASK,
 *       SETSIGDEF): the JVM blocks and handles signals, and a child must not inherit that;
 *   <li>fds 0, 1, 2 are set up by file actions, then every fd from 3 up is closed
 *       (addclosefrom_np), so nothing of the agent leaks even if some library opened it without
 *       O_CLOEXEC;
 *   <li>the working directory is changed last, so relative program paths are relative to it.
 * </ul>
 */
final class NativeSpawn {

    /** Source value: open /dev/null read-write on the target fd. */
    static final int DEV_NULL = -1;
    /** Source value: leave the agent's fd of the same number as it is. */
    static final int INHERIT = -2;

    private final ProcessLibc libc;

    NativeSpawn(ProcessLibc libc) {
        this.libc = libc;
    }

    /**
     * Starts {@code path} and returns the child's pid.
     *
     * @param sources for fds 0, 1, 2: an fd to dup2 onto it, {@link #DEV_NULL} or {@link #INHERIT}
     * @param cwd     the working directory, or null for the agent's
     */
    int spawn(String path, List<String> argv, List<String> env, String cwd, int[] sources, boolean newSession)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(ProcessLibc.SPAWN_STRUCT_BYTES, 16);
            MemorySegment attributes = arena.allocate(ProcessLibc.SPAWN_STRUCT_BYTES, 16);
            libc.check(libc.fileActionsInit(actions), "posix_spawn_file_actions_init");
            try {
                libc.check(libc.attrInit(attributes), "posix_spawnattr_init");
                try {
                    addFileActions(arena, actions, sources, cwd);
                    setAttributes(arena, attributes, newSession);
                    MemorySegment pid = arena.allocate(JAVA_INT);
                    int error = libc.posixSpawn(pid, arena.allocateFrom(path), actions, attributes,
                            strings(arena, argv), strings(arena, env));
                    libc.check(error, "spawn " + path);
                    return pid.get(JAVA_INT, 0);
                } finally {
                    libc.attrDestroy(attributes);
                }
            } finally {
                libc.fileActionsDestroy(actions);
            }
        }
    }

    private void addFileActions(Arena arena, MemorySegment actions, int[] sources, String cwd) throws IOException {
        MemorySegment devNull = arena.allocateFrom("/dev/null");
        for (int target = 0; target < 3; target++) {
            int source = sources[target];
            if (source == DEV_NULL) {
                libc.check(libc.fileActionsAddOpen(actions, target, devNull, ProcessLibc.O_RDWR, 0),
                        "file action: open /dev/null as fd " + target);
            } else if (source >= 0) {
                // glibc clears FD_CLOEXEC when source == target, so an fd already in place stays open.
                libc.check(libc.fileActionsAddDup2(actions, source, target),
                        "file action: dup2(" + source + ", " + target + ")");
            } else if (source != INHERIT) {
                throw new IllegalArgumentException("bad stdio source " + source + " for fd " + target);
            }
        }
        libc.check(libc.fileActionsAddCloseFrom(actions, 3), "file action: close fds from 3");
        if (cwd != null) {
            libc.check(libc.fileActionsAddChdir(actions, arena.allocateFrom(cwd)), "file action: chdir " + cwd);
        }
    }

    private void setAttributes(Arena arena, MemorySegment attributes, boolean newSession) throws IOException {
        MemorySegment empty = arena.allocate(ProcessLibc.SIGSET_BYTES, 8);
        MemorySegment all = arena.allocate(ProcessLibc.SIGSET_BYTES, 8);
        libc.check(libc.sigEmptySet(empty) == 0 ? 0 : 22, "sigemptyset");
        libc.check(libc.sigFillSet(all) == 0 ? 0 : 22, "sigfillset");
        // sigfillset leaves out glibc's internal signals 32 and 33 (thread cancellation, setxid).
        // The JVM's threads catch them, so glibc's spawn sets them to SIG_IGN in the child, and an
        // ignored disposition survives exec: the child would start with signals 32 and 33 ignored.
        // Setting the bits of signals 1..64 directly makes SETSIGDEF reset those two as well.
        all.set(JAVA_LONG, 0, -1L);
        libc.check(libc.attrSetSigMask(attributes, empty), "posix_spawnattr_setsigmask");
        libc.check(libc.attrSetSigDefault(attributes, all), "posix_spawnattr_setsigdefault");
        short flags = (short) (ProcessLibc.POSIX_SPAWN_SETSIGMASK | ProcessLibc.POSIX_SPAWN_SETSIGDEF
                | (newSession ? ProcessLibc.POSIX_SPAWN_SETSID : 0));
        libc.check(libc.attrSetFlags(attributes, flags), "posix_spawnattr_setflags");
    }

    /** A NULL-terminated {@code char *[]} of the strings, in {@code arena}. */
    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }
}
