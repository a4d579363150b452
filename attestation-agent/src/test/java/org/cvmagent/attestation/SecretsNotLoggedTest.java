package org.cvmagent.attestation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attestation code logs through System.Logger, which without an installed LoggerFinder goes
 * to java.util.logging: every record at every level is captured here, formatted with its
 * parameters and stack traces, and scanned for the secret, the token and the session cookie.
 */
class SecretsNotLoggedTest {
    private static final String SECRET_TEXT = "s3cr3t-passphrase-do-not-log";
    private static final byte[] SECRET = SECRET_TEXT.getBytes(StandardCharsets.UTF_8);

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger root = Logger.getLogger("org.cvmagent.attestation");
    private Level previousLevel;
    private final Handler capture = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            StringBuilder line = new StringBuilder(record.getLevel() + " " + formatter.formatMessage(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace);
            }
            lines.add(line.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private KbsPeerFixture kbs;

    @BeforeEach
    void capture() throws Exception {
        previousLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        kbs = KbsPeerFixture.start();
        kbs.putResource("default/passphrase/app", SECRET);
    }

    @AfterEach
    void release() {
        root.removeHandler(capture);
        root.setLevel(previousLevel);
        kbs.close();
    }

    @Test
    void resourceBytesTokensAndCookiesNeverReachTheLogs() throws Exception {
        KbsClient client = kbs.client();
        ResourceFetcher fetcher = new ResourceFetcher(client);

        byte[] fetched = fetcher.get("kbs:///default/passphrase/app");
        String firstToken = client.token().value();
        String firstCookie = kbs.lastCookie();
        // The paths that log warnings: a refused session (re-attestation) and retried 5xx answers.
        kbs.revokeEverything();
        fetcher.get("kbs:///default/passphrase/app");
        kbs.injectServerErrors(1);
        fetcher.get("kbs:///default/passphrase/app");
        String token = client.token().value();
        KbsException notFound = assertThrows(KbsException.class, () -> fetcher.get("kbs:///default/passphrase/missing"));

        assertTrue(new String(fetched, StandardCharsets.UTF_8).equals(SECRET_TEXT));
        String log = String.join("\n", lines);
        assertTrue(log.contains("default/passphrase/app") && log.contains(SECRET.length + " bytes"),
                "the resource path and size are logged:\n" + log);
        assertTrue(log.contains("WARNING"), "the warning paths ran:\n" + log);
        for (String forbidden : List.of(SECRET_TEXT, Base64.getEncoder().encodeToString(SECRET),
                Base64.getUrlEncoder().withoutPadding().encodeToString(SECRET), HexFormat.of().formatHex(SECRET),
                token, token.split("\\.")[1], token.split("\\.")[2], kbs.lastCookie(), firstToken, firstCookie)) {
            assertFalse(log.contains(forbidden), "a secret reached the logs:\n" + log);
            assertFalse(notFound.getMessage().contains(forbidden), "a secret reached an error message");
        }
        assertFalse(client.token().toString().contains(token));
    }
}
