package reload;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;
import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Watches the config file and calls back when its content changed.
 *
 * <p>Watches the <em>directory</em>, not the file: editors save by writing a new file and renaming
 * it over the old one, and Kubernetes swaps a symlink, so the file's own watch would be lost.
 * Any event in the directory leads to a look at the content (a SHA-256), after events have been
 * quiet for a moment: a save is often several events, and a half-written file must not be loaded.
 * Runs one platform thread, ended by {@link #close()}.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConfigWatcher.class.getName());

    private final Path file;
    private final Duration settle;
    private final WatchService watcher;
    private volatile Runnable onChange;
    private Thread thread;
    private byte[] lastDigest;

    /**
     * Starts watching at once, so that no change is missed between now and {@link #start}: create
     * the watcher <em>before</em> loading the config, then start it once the config is in force.
     * A change in between is still seen (its event waits in the queue); at worst the reload finds
     * the config unchanged.
     *
     * @param settle how long events must be quiet before the file is read
     */
    public ConfigWatcher(Path file, Duration settle) throws IOException {
        this.file = file.toAbsolutePath();
        this.settle = settle;
        this.lastDigest = digest();
        Path dir = this.file.getParent();
        this.watcher = dir.getFileSystem().newWatchService();
        dir.register(watcher, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
    }

    /** Calls {@code onChange} on the watcher's own thread each time the content differs from the last seen. */
    public synchronized void start(Runnable onChange) {
        if (thread != null) throw new IllegalStateException("already started");
        this.onChange = onChange;
        this.thread = Thread.ofPlatform().name("featherlb-config-watch").start(this::watch);
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                drain(key);
                // quiet period: keep swallowing events until none came for `settle`
                while ((key = watcher.poll(settle.toMillis(), TimeUnit.MILLISECONDS)) != null) drain(key);
                byte[] now = digest();
                if (now != null && !Arrays.equals(now, lastDigest)) {
                    lastDigest = now;
                    LOG.log(DEBUG, "{0} changed", file);
                    onChange.run();
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // close(): the way out
        } catch (RuntimeException e) {
            LOG.log(WARNING, "watching {0} stopped: {1}", file, e.toString());
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /** The content's hash, or null while the file is missing (between an editor's delete and create). */
    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.log(DEBUG, "closing the watch service: {0}", e.toString());
        }
        Thread started;
        synchronized (this) {
            started = thread;
        }
        if (started == null) return;
        try {
            started.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
