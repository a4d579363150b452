package org.cvmagent.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test certificates made with the openssl command: a CA, a server (RSA) and clients (EC). */
final class TestPki {

    final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    static TestPki create(Path dir) throws IOException, InterruptedException {
        TestPki pki = new TestPki(dir);
        pki.authority("ca");
        pki.authority("other-ca");
        pki.leaf("server", "ca", "rsa:2048", "localhost",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        pki.leaf("client", "ca", "ec", "client", "extendedKeyUsage=clientAuth\n");
        pki.leaf("stranger", "other-ca", "ec", "stranger", "extendedKeyUsage=clientAuth\n");
        return pki;
    }

    Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    Path key(String name) {
        return dir.resolve(name + ".key");
    }

    private void authority(String name) throws IOException, InterruptedException {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key(name).toString(), "-out", cert(name).toString(), "-days", "2",
                "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private void leaf(String name, String issuer, String keyType, String commonName, String extensions)
            throws IOException, InterruptedException {
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, extensions, StandardCharsets.US_ASCII);
        List<String> request = new ArrayList<>(List.of("req", "-new", "-newkey", keyType));
        if (keyType.equals("ec")) {
            request.addAll(List.of("-pkeyopt", "ec_paramgen_curve:P-256"));
        }
        request.addAll(List.of("-nodes", "-keyout", key(name).toString(), "-out", csr.toString(),
                "-subj", "/CN=" + commonName));
        openssl(request.toArray(String[]::new));
        openssl("x509", "-req", "-in", csr.toString(), "-CA", cert(issuer).toString(),
                "-CAkey", key(issuer).toString(), "-CAcreateserial", "-out", cert(name).toString(),
                "-days", "2", "-extfile", ext.toString());
    }

    private void openssl(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        Path log = dir.resolve("openssl.log");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("openssl failed: " + command + "\n" + Files.readString(log));
        }
    }
}
