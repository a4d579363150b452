package org.cvmagent.attestation.cdh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.cvmagent.proto.cdh.SecureMountRequest;

/**
 * Parses and checks a {@code SecureMount} request of volume type {@code block-device}, accepting the
 * option names of both generations of guest-components' confidential-data-hub:
 * <ul>
 *   <li>v0.10–v0.17: {@code deviceId}, {@code encryptType} ({@code luks}), {@code encryptKey},
 *       {@code dataIntegrity};</li>
 *   <li>v0.18 on: {@code deviceId} or {@code devicePath}, {@code encryptionType} ({@code luks2}),
 *       {@code key}, {@code sourceType} ({@code encrypted}, {@code empty}), {@code dataIntegrity},
 *       {@code targetType} ({@code fileSystem}), {@code filesystemType} ({@code ext4}),
 *       {@code mkfsOpts} (must be empty), {@code mapperName} (checked, not used).</li>
 * </ul>
 * The request may come from the host (kata's storages are turned into the same path), so every
 * option is checked here and anything unknown, mixed or unsupported is refused by name rather than
 * ignored. Keys: absent or {@code ephemeral} for a fresh key of this boot, {@code kbs:///repo/type/tag}
 * (the configured KBS only), or a {@code sealed.} secret. {@code dataIntegrity=false} is accepted
 * but integrity is always on.
 */
public final class SecureMountOptions {

    public static final String BLOCK_DEVICE = "block-device";
    private static final Set<String> KNOWN = Set.of("deviceId", "devicePath", "encryptType", "encryptionType",
            "encryptKey", "key", "dataIntegrity", "sourceType", "targetType", "filesystemType", "mkfsOpts",
            "mapperName");
    private static final Pattern DEVICE_ID = Pattern.compile("[0-9]{1,9}:[0-9]{1,9}");
    private static final Pattern DEV_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int MAX_MOUNT_POINT = 4096;

    private SecureMountOptions() {
    }

    /** @throws IllegalArgumentException naming the option and what is wrong with it */
    public static BlockDeviceMount parse(SecureMountRequest request) {
        if (!request.getVolumeType().equals(BLOCK_DEVICE)) {
            throw new IllegalArgumentException("volume_type \"" + printable(request.getVolumeType())
                    + "\" is not served (" + BLOCK_DEVICE + " is)");
        }
        if (!request.getFlagsList().isEmpty()) {
            throw new IllegalArgumentException("flags " + request.getFlagsList().size()
                    + " given: the block-device volume type takes none");
        }
        Map<String, String> options = request.getOptionsMap();
        Set<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(KNOWN);
        if (!unknown.isEmpty()) {
            List<String> names = new ArrayList<>();
            unknown.forEach(n -> names.add(printable(n)));
            throw new IllegalArgumentException("unknown option(s) " + names + " (known: " + new TreeSet<>(KNOWN) + ")");
        }
        exclusive(options, "encryptType", "encryptionType");
        exclusive(options, "encryptKey", "key");

        String encryption = Optional.ofNullable(options.get("encryptionType")).or(() -> Optional.ofNullable(
                options.get("encryptType"))).orElseThrow(() -> new IllegalArgumentException(
                "encryptionType (luks2) is missing"));
        if (!encryption.equals("luks2") && !encryption.equals("luks")) {
            throw new IllegalArgumentException("encryptionType \"" + printable(encryption)
                    + "\" is not supported (luks2 is)");
        }
        Optional<String> deviceId = Optional.ofNullable(options.get("deviceId"));
        if (deviceId.isPresent() && !DEVICE_ID.matcher(deviceId.get()).matches()) {
            throw new IllegalArgumentException("deviceId \"" + printable(deviceId.get()) + "\" is not MAJOR:MINOR");
        }
        Optional<String> devicePath = Optional.ofNullable(options.get("devicePath"));
        if (devicePath.isPresent()) {
            String path = devicePath.get();
            if (!path.startsWith("/dev/") || !DEV_NAME.matcher(path.substring("/dev/".length())).matches()) {
                throw new IllegalArgumentException("devicePath \"" + printable(path)
                        + "\" is not a device node directly in /dev (/dev/NAME)");
            }
        }
        if (deviceId.isEmpty() && devicePath.isEmpty()) {
            throw new IllegalArgumentException("neither deviceId nor devicePath names the device");
        }
        BlockDeviceMount.KeySource key = key(Optional.ofNullable(options.get("key"))
                .or(() -> Optional.ofNullable(options.get("encryptKey"))));
        BlockDeviceMount.Source source = switch (options.getOrDefault("sourceType", "")) {
            case "" -> BlockDeviceMount.Source.ANY;
            case "encrypted" -> BlockDeviceMount.Source.ENCRYPTED;
            case "empty" -> BlockDeviceMount.Source.EMPTY;
            default -> throw new IllegalArgumentException("sourceType \"" + printable(options.get("sourceType"))
                    + "\" is neither encrypted nor empty");
        };
        if (source == BlockDeviceMount.Source.ENCRYPTED && key instanceof BlockDeviceMount.KeySource.Ephemeral) {
            throw new IllegalArgumentException("sourceType encrypted needs a key: a fresh key of this boot opens "
                    + "no existing volume");
        }
        oneOf(options, "dataIntegrity", "true", "false");
        oneOf(options, "targetType", "fileSystem");
        oneOf(options, "filesystemType", "ext4");
        if (!options.getOrDefault("mkfsOpts", "").isBlank()) {
            throw new IllegalArgumentException("mkfsOpts are not taken: the file system is made with fixed options");
        }
        String mapper = options.get("mapperName");
        if (mapper != null && !DEV_NAME.matcher(mapper).matches()) {
            throw new IllegalArgumentException("mapperName \"" + printable(mapper) + "\" is not a device-mapper name");
        }
        String mountPoint = request.getMountPoint();
        if (!mountPoint.startsWith("/") || mountPoint.length() > MAX_MOUNT_POINT || mountPoint.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("mount_point \"" + printable(mountPoint) + "\" is not an absolute path");
        }
        return new BlockDeviceMount(deviceId, devicePath, key, source, mountPoint);
    }

    /** The key option: absent or {@code ephemeral}, {@code kbs:///…}, {@code sealed.…}. */
    static BlockDeviceMount.KeySource key(Optional<String> option) {
        if (option.isEmpty() || option.get().equals("ephemeral")) {
            return new BlockDeviceMount.KeySource.Ephemeral();
        }
        String value = option.get();
        if (value.startsWith("sealed.")) {
            return new BlockDeviceMount.KeySource.Sealed(value);
        }
        if (value.startsWith("kbs:")) {
            ResourceUri uri;
            try {
                uri = ResourceUri.parse(value);
            } catch (InvalidResourceUriException e) {
                throw new IllegalArgumentException("key: " + e.getMessage(), e);
            }
            if (uri.kbsAuthority().isPresent()) {
                throw new IllegalArgumentException("key " + printable(value) + " names a KBS of its own ("
                        + uri.kbsAuthority().get() + "): volume keys come only from the KBS the init-data names "
                        + "(kbs:///repository/type/tag)");
            }
            return new BlockDeviceMount.KeySource.Kbs(uri);
        }
        // Not echoed: a mistyped secret must not end up in the host's error message.
        throw new IllegalArgumentException("key is neither ephemeral, a kbs:///repository/type/tag resource nor a "
                + "sealed. secret" + (value.startsWith("file:") ? " (file:// keys are not served)" : ""));
    }

    private static void exclusive(Map<String, String> options, String older, String newer) {
        if (options.containsKey(older) && options.containsKey(newer)) {
            throw new IllegalArgumentException("both " + older + " and " + newer + " given: they are the same option "
                    + "in two guest-components generations");
        }
    }

    private static void oneOf(Map<String, String> options, String name, String... allowed) {
        String value = options.get(name);
        if (value != null && !List.of(allowed).contains(value)) {
            throw new IllegalArgumentException(name + " \"" + printable(value) + "\" is not supported ("
                    + String.join(", ", allowed) + (allowed.length == 1 ? " is)" : " are)"));
        }
    }

    /** A host-given string for a message: bounded, control characters escaped. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && i < 128; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 128 ? out + "…" : out.toString();
    }
}
