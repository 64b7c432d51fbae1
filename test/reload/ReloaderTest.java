package reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import config.Config;
import config.ConfigLoader;
import config.Engine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import proxy.Server;

/** Reloading from the file: validation first, the old config kept on errors, and the file watch. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReloaderTest {

    private static String yaml(int port, int... endpointPorts) {
        StringBuilder b = new StringBuilder("routes:\n  - name: web\n    host: 127.0.0.1\n    port: " + port + "\n    endpoints:\n");
        for (int p : endpointPorts) b.append("      - host: 127.0.0.1\n        port: ").append(p).append('\n');
        return b.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aBrokenFileIsRejectedWithItsErrorsAndTheOldConfigKeepsServing(@TempDir Path dir) throws Exception {
        int port = freePort();
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path file = Files.writeString(dir.resolve("featherlb.yaml"), yaml(port, backend.getLocalPort()));
            Server server = new Server(ConfigLoader.load(file));
            server.start();
            Reloader reloader = new Reloader(file, server);

            Files.writeString(file, yaml(port, backend.getLocalPort()).replace("port: " + port, "port: many"));
            ReloadResult result = reloader.reload("test");
            assertFalse(result.applied());
            assertEquals(List.of(file + ":4:11: port is 'many' (expected an integer 1..65535)"),
                    result.errors().stream().map(Object::toString).toList());
            assertEquals(1, reloader.failed());
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port); Socket accepted = backend.accept()) {
                assertTrue(accepted.isConnected(), "still serving the old config");
            }

            Files.writeString(file, yaml(port, backend.getLocalPort()));
            ReloadResult same = reloader.reload("test");
            assertTrue(same.applied());
            assertEquals("unchanged", same.changes());
            server.close();
        }
    }

    /** --engine is set over every reload's config as over the first: the file's own engine changes nothing. */
    @Test
    void theCommandLinesEngineHoldsForEveryReload(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), yaml(freePort(), 1));
        UnaryOperator<Config> cli = c -> c.withEngine(Engine.VIRTUAL_THREADS);
        try (Server server = new Server(cli.apply(ConfigLoader.load(file)))) {
            server.start();
            Reloader reloader = new Reloader(file, server, cli);
            ReloadResult same = reloader.reload("test");
            assertTrue(same.applied());
            assertEquals("unchanged", same.changes());
            assertEquals(Engine.VIRTUAL_THREADS, server.config().engine());
            assertEquals(Engine.VIRTUAL_THREADS, server.engine());
        }
    }

    @Test
    void savingTheFileTheWayEditorsDoReloadsIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), yaml(freePort(), 1));
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofMillis(100))) {
            watcher.start(changed::countDown);
            // an editor writes a new file and renames it over the old one
            Path temp = Files.writeString(dir.resolve(".featherlb.yaml.swp"), yaml(freePort(), 2));
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertTrue(changed.await(10, TimeUnit.SECONDS), "the change was seen");
        }
    }

    @Test
    void aChangeBetweenWatchingAndStartingIsNotMissed(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), yaml(freePort(), 1));
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofMillis(50))) {
            Files.writeString(file, yaml(freePort(), 3)); // while the config is being loaded and the server started
            watcher.start(changed::countDown);
            assertTrue(changed.await(10, TimeUnit.SECONDS), "the early change was seen");
        }
    }

    @Test
    void touchingTheFileWithoutChangingItDoesNotReload(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), yaml(freePort(), 1));
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofMillis(50))) {
            watcher.start(changed::countDown);
            Files.writeString(file, Files.readString(file));
            Files.writeString(dir.resolve("other-file.txt"), "unrelated");
            assertFalse(changed.await(1, TimeUnit.SECONDS), "same content: no reload");
        }
    }
    @Test
    void aPathWithANulIsRefusedLikeAnyInvalidConfigAndTheWatchGoesOn(@TempDir Path dir) throws Exception {
        int port = freePort();
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String good = yaml(port, backend.getLocalPort());
            Path file = Files.writeString(dir.resolve("featherlb.yaml"), good);
            Server server = new Server(ConfigLoader.load(file));
            server.start();
            Reloader reloader = new Reloader(file, server);
            java.util.concurrent.LinkedBlockingQueue<ReloadResult> results = new java.util.concurrent.LinkedBlockingQueue<>();
            try (ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofMillis(100))) {
                watcher.start(() -> results.add(reloader.reload("file changed")));
                Files.writeString(file, good + "access_log: \"/tmp/a\\0b\"\n");
                ReloadResult refused = results.poll(10, TimeUnit.SECONDS);
                assertFalse(refused.applied());
                assertEquals(List.of(file + ":8:13: access_log is not a usable path: it contains a NUL character (expected off, stdout or a file path)"),
                        refused.errors().stream().map(Object::toString).toList());
                ReloadResult direct = reloader.reload("SIGHUP"); // as SIGHUP and the admin API reload
                assertFalse(direct.applied());

                Files.writeString(file, yaml(port, backend.getLocalPort(), backend.getLocalPort() + 1));
                ReloadResult applied = results.poll(10, TimeUnit.SECONDS);
                assertTrue(applied != null && applied.applied(), "the watch still works: " + applied);
                assertEquals(2, server.config().routes().getFirst().endpoints().size());
            } finally {
                server.close();
            }
        }
    }
}
