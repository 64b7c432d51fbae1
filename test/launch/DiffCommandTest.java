package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code featherlb diff} as a user runs it, against a running featherlb process with the admin
 * API on and a token: the address and token from the running config, from the options, from the
 * environment; an invalid file's problems with its own name and exit 2; a missing token and an
 * address nobody listens on with exit 1; and the running instance unchanged after all of it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiffCommandTest {

    @Test
    void diffPrintsWhatAReloadWouldChangeAndTheRunningInstanceKeepsItsConfig(@TempDir Path dir) throws Exception {
        int web = freePort(), db = freePort(), api = freePort(), admin = freePort();
        Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        String running = """
                routes:
                  - name: web
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 9}
                      - {host: 127.0.0.1, port: 10}
                      - {host: 127.0.0.1, port: 11}
                  - name: db
                    host: 127.0.0.1
                    port: %d
                    endpoints:
                      - {host: 127.0.0.1, port: 12}
                admin:
                  address: 127.0.0.1:%d
                  token_file: %s
                """.formatted(web, db, admin, token);
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), running);
        Path log = dir.resolve("featherlb.log");
        Process p = Featherlb.command("--config", file.toString(), "--no-watch").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            waitFor(log, "admin: dashboard at", p);
            Path next = Files.writeString(dir.resolve("next.yaml"), running
                    .replace("      - {host: 127.0.0.1, port: 10}\n", "      - {host: 127.0.0.1, port: 10, weight: 3}\n")
                    .replace("      - {host: 127.0.0.1, port: 11}\n", "      - {host: 127.0.0.1, port: 13}\n")
                    .replace("    endpoints:\n      - {host: 127.0.0.1, port: 9}", "    strategy: leastconn\n    endpoints:\n      - {host: 127.0.0.1, port: 9}")
                    .replace("  - name: db\n", "  - name: api\n    host: 127.0.0.1\n    port: " + api + "\n    endpoints:\n      - {host: 127.0.0.1, port: 14}\n  - name: db\n"));

            // the address and the token from the running config (-c)
            var diff = Featherlb.run("--config", file.toString(), "diff", next.toString());
            assertEquals(0, diff.exit(), diff.out() + diff.err());
            assertEquals(List.of(
                    "featherlb diff: " + next + " against the config running at http://127.0.0.1:" + admin + " (nothing applied)",
                    "+ route api",
                    "~ route web",
                    "    strategy: roundrobin -> leastconn",
                    "    + endpoint 127.0.0.1:13",
                    "    - endpoint 127.0.0.1:11",
                    "    ~ endpoint 127.0.0.1:10 weight 1 -> 3",
                    "    = endpoint 127.0.0.1:9 (live state kept)",
                    "= route db (as they are)",
                    "a reload would change: +api ~web"), diff.out().lines().toList());

            // every problem, named by the file sent, and exit 2
            Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(next)
                    .replace("strategy: leastconn", "strategy: leastcon").replace("port: 14", "port: 0"));
            var invalid = Featherlb.run("--config", file.toString(), "diff", bad.toString());
            assertEquals(2, invalid.exit(), invalid.out() + invalid.err());
            List<String> problems = invalid.err().lines().filter(l -> l.startsWith(bad.toString())).toList();
            assertEquals(2, problems.size(), invalid.err());
            assertTrue(problems.getFirst().startsWith(bad + ":5:15: unknown strategy 'leastcon'"), problems.getFirst());
            assertTrue(invalid.err().contains("a reload would refuse this config"), invalid.err());

            // --admin without the token: refused by the instance, exit 1 with what to give
            var noToken = Featherlb.run(Map.of("FEATHERLB_ADMIN_TOKEN", ""), "diff", next.toString(), "--admin", "127.0.0.1:" + admin);
            assertEquals(1, noToken.exit(), noToken.out() + noToken.err());
            assertTrue(noToken.err().contains("answered 403") || noToken.err().contains("answered 401"), noToken.err());
            assertTrue(noToken.err().contains("--token-file"), noToken.err());
            var withToken = Featherlb.run("diff", next.toString(), "--admin", "http://127.0.0.1:" + admin, "--token-file", token.toString());
            assertEquals(0, withToken.exit(), withToken.out() + withToken.err());
            assertEquals(diff.out(), withToken.out());

            // the environment, and no file: the instance's own config file, which has not changed
            var own = Featherlb.run(Map.of("FEATHERLB_ADMIN", "127.0.0.1:" + admin, "FEATHERLB_ADMIN_TOKEN", "s3cret"), "diff");
            assertEquals(0, own.exit(), own.out() + own.err());
            assertTrue(own.out().contains("= routes web, db (as they are)"), own.out());
            assertTrue(own.out().endsWith("a reload would change nothing\n"), own.out());

            // nothing was applied: the running instance still compares next.yaml the same way
            var again = Featherlb.run("--config", file.toString(), "diff", next.toString());
            assertEquals(diff.out(), again.out());

            var nobody = Featherlb.run("diff", next.toString(), "--admin", "127.0.0.1:" + freePort());
            assertEquals(1, nobody.exit(), nobody.out() + nobody.err());
            assertTrue(nobody.err().contains("cannot reach the admin address"), nobody.err());
            assertTrue(p.isAlive(), Files.readString(log));
            assertTrue(!Files.readString(log).contains("reloaded"), "no reload happened: " + Files.readString(log));
        } finally {
            p.toHandle().destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    @Test
    void withoutAnAdminAddressAnywhereItSaysWhatToGive(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("next.yaml"), """
                routes:
                  - host: 127.0.0.1
                    port: 8080
                    endpoints:
                      - {host: 127.0.0.1, port: 9}
                """);
        var r = Featherlb.run(Map.of("FEATHERLB_ADMIN", ""), "--config", dir.resolve("absent.yaml").toString(), "diff", file.toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("has no admin: section") && r.err().contains("--admin"), r.err());
    }

    private static void waitFor(Path log, String text, Process p) throws IOException, InterruptedException {
        for (int i = 0; i < 600; i++) { // generous: a busy machine starts a JVM slowly
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) return;
            if (!p.isAlive()) break;
            Thread.sleep(100);
        }
        throw new AssertionError("no line with '" + text + "': " + Files.readString(log, StandardCharsets.UTF_8));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
