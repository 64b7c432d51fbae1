package reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config watch reacts to the config file only: not to a busy neighbour such as an access log
 * in the same folder, and it survives whatever the file is replaced by.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigWatcherTest {
    private static final Duration INTERVAL = Duration.ofMillis(100);

    /** Appends a line to {@code file} about every millisecond until closed, as a busy access log does. */
    private static final class BusyNeighbour implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger writes = new AtomicInteger();
        final Thread thread;

        BusyNeighbour(Path file) {
            thread = Thread.ofPlatform().name("busy-neighbour").start(() -> {
                try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    while (running.get()) {
                        out.write("client=127.0.0.1:5000 route=web bytes=512\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        writes.incrementAndGet();
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    @Test
    void aSaveIsSeenWithinABoundWhileANeighbourIsWrittenContinuously(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL); BusyNeighbour log = new BusyNeighbour(dir.resolve("access.log"))) {
            watcher.start(changed::countDown);
            Thread.sleep(300);
            long saved = System.nanoTime();
            Files.writeString(file, "a: 2\n");
            assertTrue(changed.await(3, TimeUnit.SECONDS), "the save was seen while " + log.writes.get() + " lines went to the neighbour");
            assertTrue(System.nanoTime() - saved < Duration.ofSeconds(2).toNanos());
        }
    }

    @Test
    void aNeighboursWritesCostTheWatchNothing(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        AtomicInteger changes = new AtomicInteger();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL)) {
            watcher.start(changes::incrementAndGet);
            Thread watch = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("featherlb-config-watch")).findFirst().orElseThrow();
            long before = threads.getThreadCpuTime(watch.threadId());
            int writes;
            try (BusyNeighbour log = new BusyNeighbour(dir.resolve("access.log"))) {
                Thread.sleep(3000);
                writes = log.writes.get();
            }
            long cpu = threads.getThreadCpuTime(watch.threadId()) - before;
            // a stat every 100 ms is 30 of them in 3 s: tens of microseconds each, whatever the neighbour does;
            // the directory watch it replaced woke for each of the neighbour's ~2,000 writes
            assertTrue(cpu < Duration.ofMillis(20).toNanos(), "the watch used " + cpu / 1000 + " µs of CPU over " + writes + " neighbour writes");
            assertEquals(0, changes.get());
        }
    }

    @Test
    void aKubernetesDataSymlinkSwapIsSeen(@TempDir Path dir) throws Exception {
        // a ConfigMap volume: featherlb.yaml -> ..data/featherlb.yaml, ..data -> ..2026_12_01_1; an update
        // writes a new timestamped folder, points a new link at it and renames that link over ..data
        Files.createDirectory(dir.resolve("..2026_12_01_1"));
        Files.writeString(dir.resolve("..2026_12_01_1/featherlb.yaml"), "a: 1\n");
        Files.createSymbolicLink(dir.resolve("..data"), Path.of("..2026_12_01_1"));
        Path file = Files.createSymbolicLink(dir.resolve("featherlb.yaml"), Path.of("..data/featherlb.yaml"));
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL)) {
            watcher.start(changed::countDown);
            Files.createDirectory(dir.resolve("..2026_12_01_2"));
            Files.writeString(dir.resolve("..2026_12_01_2/featherlb.yaml"), "a: 2\n");
            Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..2026_12_01_2"));
            Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
            assertTrue(changed.await(5, TimeUnit.SECONDS), "the swap was seen");
        }
    }

    @Test
    void aRenameOverTheFileIsSeen(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        CountDownLatch changed = new CountDownLatch(1);
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL)) {
            watcher.start(changed::countDown);
            Path temp = Files.writeString(dir.resolve("featherlb.yaml~"), "a: 2\n");
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertTrue(changed.await(5, TimeUnit.SECONDS), "the rename was seen");
        }
    }

    @Test
    void aFifoInPlaceOfTheFileDoesNotStopTheWatch(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        AtomicInteger changes = new AtomicInteger();
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL)) {
            watcher.start(changes::incrementAndGet);
            Path fifo = dir.resolve("fifo");
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
            Files.move(fifo, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (changes.get() < 1 && System.nanoTime() < deadline) Thread.sleep(20); // the reload then says what is wrong
            assertEquals(1, changes.get(), "a FIFO in place of the config is a change, reported by the reload");
            Files.delete(file);
            Files.writeString(file, "a: 3\n");
            deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (changes.get() < 2 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(2, changes.get(), "a regular file again is seen");
        }
    }

    @Test
    void aCallbackThatThrowsDoesNotStopTheWatch(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        AtomicInteger changes = new AtomicInteger();
        try (ConfigWatcher watcher = new ConfigWatcher(file, INTERVAL)) {
            watcher.start(() -> {
                changes.incrementAndGet();
                throw new IllegalArgumentException("a bug in a reload");
            });
            Files.writeString(file, "a: 2\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (changes.get() < 1 && System.nanoTime() < deadline) Thread.sleep(20);
            Thread.sleep(300);
            Files.writeString(file, "a: 3\n");
            deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (changes.get() < 2 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(2, changes.get(), "the second save was seen too");
        }
    }

    @Test
    void closeEndsTheThreadPromptly(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("featherlb.yaml"), "a: 1\n");
        ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofSeconds(30));
        watcher.start(() -> { });
        long start = System.nanoTime();
        watcher.close();
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("featherlb-config-watch")));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
    }
}
