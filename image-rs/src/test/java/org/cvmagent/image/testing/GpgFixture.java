package org.cvmagent.image.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * A throwaway GPG home with one signing key, driven through gpg(1) and skopeo(1); shared by the
 * signature tests here and the agent's tests of the shipped CLI (through the test-jar).
 */
public final class GpgFixture implements AutoCloseable {

    private final Path home;
    private final String fingerprint;

    private GpgFixture(Path home, String fingerprint) {
        this.home = home;
        this.fingerprint = fingerprint;
    }

    public static GpgFixture create(Path dir, String uid) throws IOException, InterruptedException {
        Commands.requireBinary("/usr/bin/gpg");
        Commands.requireBinary("/usr/bin/gpgconf");
        Path home = Files.createDirectories(dir);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = Map.of("GNUPGHOME", home.toString());
        Commands.output(List.of("gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"), env);
        String colons = Commands.output(List.of("gpg", "--batch", "--with-colons", "--list-keys", uid), env);
        String fpr = colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        return new GpgFixture(home, fpr);
    }

    /** Adds a signing subkey; gpg then signs with it when given the primary key's fingerprint. */
    public void addSigningSubkey() throws IOException, InterruptedException {
        Commands.output(List.of("gpg", "--batch", "--passphrase", "", "--quick-add-key", fingerprint, "ed25519", "sign", "never"),
                env());
    }

    /** Key IDs (low 64 bits of the fingerprints) of the primary key and its subkeys, as gpg lists them. */
    public List<String> keyIds() throws IOException, InterruptedException {
        return Commands.output(List.of("gpg", "--batch", "--with-colons", "--list-keys", fingerprint), env()).lines()
                .filter(l -> l.startsWith("pub:") || l.startsWith("sub:")).map(l -> l.split(":")[4]).toList();
    }

    /** Revokes the key with the revocation certificate gpg made at key generation. */
    public void revoke() throws IOException, InterruptedException {
        Path cert = home.resolve("openpgp-revocs.d").resolve(fingerprint + ".rev");
        // gpg prefixes the armor line with ':' so the certificate is not imported by accident.
        String text = Files.readString(cert).replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----");
        Path armored = home.resolve("revocation.asc");
        Files.writeString(armored, text);
        Commands.output(List.of("gpg", "--batch", "--yes", "--import", armored.toString()), env());
    }

    public String fingerprint() {
        return fingerprint;
    }

    public Map<String, String> env() {
        return Map.of("GNUPGHOME", home.toString());
    }

    /** The public key as gpg --export writes it (binary keyring), or ASCII-armored. */
    public byte[] exportPublicKey(boolean armor) throws IOException, InterruptedException {
        Path out = home.resolve(armor ? "pub.asc" : "pub.gpg");
        Files.deleteIfExists(out);
        Commands.output(armor
                ? List.of("gpg", "--batch", "--armor", "--output", out.toString(), "--export", fingerprint)
                : List.of("gpg", "--batch", "--output", out.toString(), "--export", fingerprint), env());
        return Files.readAllBytes(out);
    }

    /** A simple-signing signature of {@code manifest} for {@code identity}, made by skopeo standalone-sign. */
    public byte[] sign(byte[] manifest, String identity) throws IOException, InterruptedException {
        Commands.requireBinary(LocalRegistry.SKOPEO);
        Path manifestFile = Files.createTempFile(home, "manifest", ".json");
        Path sig = Files.createTempFile(home, "sig", ".bin");
        Files.write(manifestFile, manifest);
        Commands.output(List.of("skopeo", "standalone-sign", manifestFile.toString(), identity, fingerprint,
                "--output", sig.toString()), env());
        return Files.readAllBytes(sig);
    }

    @Override
    public void close() throws IOException {
        // gpg starts an agent per home; stop it so tests leave no daemons behind.
        try {
            Commands.output(List.of("gpgconf", "--kill", "gpg-agent"), env());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted stopping gpg-agent", e);
        }
    }
}
