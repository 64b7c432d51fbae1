package accesslog;

import static java.lang.System.Logger.Level.WARNING;

import config.AccessLog;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import traffic.ConnectionRecord;

/**
 * The access log: one line per finished connection, written off the forwarding threads.
 *
 * <p>{@link #accept} runs on the thread that ends the connection (usually a forwarding loop): it only offers the record
 * to a bounded queue, and never blocks. One platform thread, {@code featherlb-access-log}, owned
 * here, formats and writes what the queue holds, and flushes whenever the queue runs empty, so a
 * line appears at once on a quiet balancer and in large writes on a busy one.
 *
 * <p>When the queue is full (the disk or the reader of stdout cannot keep up), the record is
 * dropped and counted rather than making connections wait for the log: {@link #dropped()} is
 * exported as {@code featherlb_access_log_dropped_total}, and the writer logs a warning with the
 * count at most every {@link #REPORT_EVERY_NANOS}. {@link #close()} writes what is queued, flushes,
 * and closes the file (not stdout).
 */
public final class AccessLogWriter implements Consumer<ConnectionRecord>, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AccessLogWriter.class.getName());
    /** Records waiting to be written; at ~200 bytes a line, 64 Ki lines hold a burst of ~13 MB. */
    public static final int DEFAULT_CAPACITY = 65_536;
    private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int BATCH = 512;

    private final BlockingQueue<ConnectionRecord> queue; // null: the log is off
    private final Writer out;
    private final boolean closeOut;
    private final LineFormat format;
    private final String name;
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    private volatile boolean closing;

    /**
     * @param out      where lines go; closed by {@link #close()} when {@code closeOut}
     * @param capacity records the queue holds before it drops
     */
    public AccessLogWriter(Writer out, boolean closeOut, LineFormat format, int capacity, String name) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.out = out;
        this.closeOut = closeOut;
        this.format = format;
        this.name = name;
        this.writer = Thread.ofPlatform().name("featherlb-access-log").start(this::writeLoop);
    }

    private AccessLogWriter() {
        this.queue = null;
        this.out = null;
        this.closeOut = false;
        this.format = null;
        this.name = "off";
        this.writer = null;
    }

    /** The access log the config asks for: off (records are ignored), stdout, or a file appended to. */
    public static AccessLogWriter open(AccessLog config, OutputStream stdout) throws IOException {
        LineFormat format = LineFormat.of(config.format());
        return switch (config.target()) {
            case OFF -> new AccessLogWriter();
            case STDOUT -> new AccessLogWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), false, format, DEFAULT_CAPACITY, "stdout");
            case FILE -> {
                Writer file;
                try {
                    file = Files.newBufferedWriter(config.file(), StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                } catch (IOException e) {
                    throw new IOException("cannot open the access log " + config.file() + ": " + e.getMessage(), e);
                }
                yield new AccessLogWriter(file, true, format, DEFAULT_CAPACITY, config.file().toString());
            }
        };
    }

    /** Queues one finished connection; drops it (counted) when the queue is full. Never blocks. */
    @Override
    public void accept(ConnectionRecord record) {
        if (queue != null && !closing && !queue.offer(record)) dropped.increment();
    }

    /** Records dropped because the queue was full, since start. */
    public long dropped() {
        return dropped.sum();
    }

    private void writeLoop() {
        List<ConnectionRecord> batch = new ArrayList<>(BATCH);
        StringBuilder line = new StringBuilder(256);
        long reported = 0;
        long reportedAt = System.nanoTime();
        boolean failed = false;
        while (true) {
            ConnectionRecord first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // nobody but the JVM's end interrupts this thread; write what is left and stop
                closing = true;
                first = null;
            }
            if (first == null) {
                if (closing && queue.isEmpty()) break;
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, BATCH - 1);
            try {
                for (ConnectionRecord record : batch) {
                    line.setLength(0);
                    format.append(line, record);
                    line.append('\n');
                    out.append(line);
                }
                if (queue.isEmpty()) out.flush();
                failed = false;
            } catch (IOException e) {
                if (!failed) LOG.log(WARNING, "access log {0}: cannot write: {1}; lines are lost until it works again", name, e.getMessage());
                failed = true;
            }
            batch.clear();
            long lost = dropped.sum();
            if (lost > reported && System.nanoTime() - reportedAt > REPORT_EVERY_NANOS) {
                LOG.log(WARNING, "access log {0}: {1} line(s) dropped because the queue of {2} was full (the log cannot keep up)",
                        name, lost - reported, queue.remainingCapacity() + queue.size());
                reported = lost;
                reportedAt = System.nanoTime();
            }
        }
        try {
            out.flush();
            if (closeOut) out.close();
        } catch (IOException e) {
            LOG.log(WARNING, "access log {0}: closing: {1}", name, e.getMessage());
        }
        long lost = dropped.sum();
        if (lost > reported) LOG.log(WARNING, "access log {0}: {1} line(s) dropped in all because the queue was full", name, lost);
    }

    /**
     * Writes what is queued, flushes and closes; call it after the server has stopped so the last
     * connections are in the log. Records that arrive later are dropped.
     */
    @Override
    public void close() {
        if (writer == null || closing) return;
        // no interrupt: it would close a file channel in the middle of a write; the poll wakes within 100 ms
        closing = true;
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
