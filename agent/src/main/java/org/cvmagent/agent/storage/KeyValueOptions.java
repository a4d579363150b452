package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Kata's {@code parse_options}: the {@code key=value} entries of a storage's options (entries
 * without exactly one {@code =} are not key/value options and are skipped, as kata skips them),
 * with the numeric readers the local and ephemeral handlers need.
 */
final class KeyValueOptions {

    /** Kata's {@code KATA_MOUNT_OPTION_FS_GID}. */
    static final String FS_GID = "fsgid";

    private final StorageRequest request;
    private final Map<String, String> values;

    private KeyValueOptions(StorageRequest request, Map<String, String> values) {
        this.request = request;
        this.values = values;
    }

    static KeyValueOptions of(StorageRequest request) {
        Map<String, String> values = new HashMap<>();
        List<String> options = request.storage().getOptionsList();
        for (String option : options) {
            String[] fields = option.split("=", -1);
            if (fields.length == 2) {
                values.put(fields[0], fields[1]);
            }
        }
        return new KeyValueOptions(request, values);
    }

    /** A permission mode in octal, at most 07777. */
    OptionalInt mode(String key) throws RpcException {
        String text = values.get(key);
        if (text == null) {
            return OptionalInt.empty();
        }
        int mode;
        try {
            mode = Integer.parseInt(text, 8);
        } catch (NumberFormatException e) {
            throw request.invalid("options", key + "=" + text + " is not an octal mode");
        }
        if (mode < 0 || mode > 07777) {
            throw request.invalid("options", key + "=" + text + " is not a mode between 0 and 7777");
        }
        return OptionalInt.of(mode);
    }

    /** A group or user id: a decimal u32 other than -1, which chown(2) reads as "unchanged". */
    OptionalInt id(String key) throws RpcException {
        String text = values.get(key);
        if (text == null) {
            return OptionalInt.empty();
        }
        long id;
        try {
            id = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw request.invalid("options", key + "=" + text + " is not a decimal id");
        }
        if (id < 0 || id >= 0xFFFF_FFFFL) {
            throw request.invalid("options", key + "=" + text + " is out of range");
        }
        return OptionalInt.of((int) id);
    }
}
