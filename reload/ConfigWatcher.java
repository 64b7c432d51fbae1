package reload;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

import config.ConfigLoader;
import config.SmallFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Watches the config file and calls back when its content changed.
 *
 * <p>Looks at the file itself, once an interval: one {@code stat} of where its name leads now
 * (its real path after links, its device and inode, size, modification and change times). Only
 * when that stamp changed is the content read and hashed (SHA-256), and only a different hash is
 * a change. The real path and the inode catch what a watch of the file's own inode would lose:
 * an editor's save by rename-over, Kubernetes swapping the {@code ..data} symlink of a ConfigMap
 * volume. A save is read once its stamp has held still for one interval (a half-written file must
 * not be loaded), or after {@link #MAX_SETTLE} intervals if it never does.
 *
 * <p>Why not a {@code WatchService} on the folder, as before: it wakes for every file in it, so an
 * access log beside the config cost CPU for each line written, and its quiet period never came
 * while the folder was busy, so a save was not seen at all. Measured with a neighbour file written
 * 1,000 times a second, over 10 s, CPU of the process besides the writer, with an interval of
 * 200 ms: no watch 11.6-13.7 ms/s; the folder watch 78.5 ms/s (65 ms/s, 6.5% of a core, for the
 * watch) and a save not seen within 5 s; this watch 13.0-16.1 ms/s (1-2 ms/s, within the noise
 * of the machine) and a save seen in 220-390 ms.
 *
 * <p>Runs one platform thread, {@code featherlb-config-watch}, which also runs the callback;
 * ended by {@link #close()}.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConfigWatcher.class.getName());
    /** Intervals a changing file is waited for before it is read anyway (an editor writes in well under one). */
    static final int MAX_SETTLE = 10;
    private static final String UNIX_STAMP = "unix:size,lastModifiedTime,ctime,dev,ino";

    private final Path file;
    private final Duration interval;
    private volatile Runnable onChange;
    private boolean closed; // guarded by this
    private Thread thread;
    // owned by the watch thread once started (the constructor's writes happen before its start)
    private Stamp last;
    private byte[] lastDigest;
    private Stamp pending;
    private int pendingFor;

    /**
     * What the name leads to now; equal stamps mean nothing to read again.
     *
     * @param real       the path after every link, which a {@code ..data} swap changes
     * @param attributes size, times and identity of the file: the unix view's in one stat where
     *                   there is one, else the basic view's
     */
    private record Stamp(Path real, List<Object> attributes) {
    }

    /**
     * Takes the file's stamp and content at once, so that no change is missed between now and
     * {@link #start}: create the watcher <em>before</em> loading the config, then start it once the
     * config is in force. A change in between is seen at the first look; at worst the reload finds
     * the config unchanged.
     *
     * @param interval how often the file is looked at; a save is seen within about two of them
     */
    public ConfigWatcher(Path file, Duration interval) {
        this.file = file.toAbsolutePath();
        this.interval = interval;
        this.last = stamp();
        this.lastDigest = digest();
    }

    /** Calls {@code onChange} on the watcher's own thread each time the content differs from the last seen. */
    public synchronized void start(Runnable onChange) {
        if (thread != null) throw new IllegalStateException("already started");
        this.onChange = onChange;
        this.thread = Thread.ofPlatform().name("featherlb-config-watch").start(this::watch);
    }

    private void watch() {
        while (true) {
            synchronized (this) {
                if (closed) return;
                try {
                    wait(interval.toMillis()); // close() wakes it; an early wake-up only looks sooner
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // nobody but close() has a reason to; if someone does, ending is what is asked
                }
                if (closed) return;
            }
            look();
        }
    }

    /** One look at the file: a stat, and a read only when the stat changed and then held still. */
    private void look() {
        Stamp now = stamp();
        if (now == null || now.equals(last)) { // missing (between an editor's delete and create), or as it was
            pending = null;
            return;
        }
        if (!now.equals(pending) && pendingFor < MAX_SETTLE) {
            if (pending == null) pendingFor = 0;
            pending = now;
            pendingFor++;
            return;
        }
        pending = null;
        last = now; // stamped before the read: a change during the read shows at the next look
        byte[] digest = digest();
        if (digest == null || Arrays.equals(digest, lastDigest)) return;
        lastDigest = digest;
        LOG.log(DEBUG, "{0} changed", file);
        try {
            onChange.run();
        } catch (RuntimeException e) {
            // a bug in the reload: say so, and keep watching for the next save
            LOG.log(WARNING, "reloading " + file + " after a change failed", e);
        }
    }

    private Stamp stamp() {
        try {
            Path real = file.toRealPath();
            List<Object> attributes;
            try {
                Map<String, Object> unix = Files.readAttributes(real, UNIX_STAMP);
                attributes = List.of(unix.get("size"), unix.get("lastModifiedTime"), unix.get("ctime"), unix.get("dev"), unix.get("ino"));
            } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
                BasicFileAttributes basic = Files.readAttributes(real, BasicFileAttributes.class);
                attributes = Arrays.asList(basic.size(), basic.lastModifiedTime(), basic.fileKey());
            }
            return new Stamp(real, attributes);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The content's hash; for a file that is not read (a FIFO, a device, too large) the hash of why,
     * so that the reload that says why happens once. Null while the file is missing.
     */
    private byte[] digest() {
        byte[] content;
        try {
            content = SmallFile.read(file, ConfigLoader.MAX_BYTES, "a featherlb YAML config file");
        } catch (SmallFile.Refused e) {
            content = ("refused: " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Stops watching and waits for the thread to end (after the reload it may be running: a reload is never cut). */
    @Override
    public void close() {
        Thread started;
        synchronized (this) {
            closed = true;
            notifyAll();
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
