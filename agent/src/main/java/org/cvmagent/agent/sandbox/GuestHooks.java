package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.Hook;
import org.cvmagent.proto.agent.Hooks;
import org.cvmagent.proto.agent.Spec;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * OCI hooks found in the guest at CreateSandbox's {@code guest_hook_path}, added to every container
 * afterwards, as kata does: executables in its {@code prestart}, {@code poststart} and
 * {@code poststop} subdirectories, each run with arguments {@code <name> <hook type>}. Symbolic
 * links and non-executable files are skipped.
 */
record GuestHooks(Hooks hooks) {

    static final GuestHooks NONE = new GuestHooks(Hooks.getDefaultInstance());

    static GuestHooks scan(Path directory) throws IOException {
        return new GuestHooks(Hooks.newBuilder()
                .addAllPrestart(find(directory, "prestart"))
                .addAllPoststart(find(directory, "poststart"))
                .addAllPoststop(find(directory, "poststop"))
                .build());
    }

    private static List<Hook> find(Path directory, String type) throws IOException {
        List<Hook> found = new ArrayList<>();
        Path dir = directory.resolve(type);
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
            list.forEach(entries::add);
        } catch (NoSuchFileException e) {
            return found;
        }
        entries.sort(null);
        for (Path entry : entries) {
            PosixFileAttributes attributes = Files.readAttributes(entry, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            boolean executable = attributes.permissions().stream().anyMatch(p -> p.name().endsWith("EXECUTE"));
            if (attributes.isRegularFile() && executable) {
                found.add(Hook.newBuilder().setPath(entry.toString())
                        .addArgs(entry.getFileName().toString()).addArgs(type).build());
            }
        }
        return found;
    }

    /** The spec with these hooks appended after its own. */
    Spec appendTo(Spec spec) {
        if (hooks.equals(Hooks.getDefaultInstance())) {
            return spec;
        }
        Hooks merged = spec.getHooks().toBuilder()
                .addAllPrestart(hooks.getPrestartList())
                .addAllPoststart(hooks.getPoststartList())
                .addAllPoststop(hooks.getPoststopList())
                .build();
        return spec.toBuilder().setHooks(merged).build();
    }
}
