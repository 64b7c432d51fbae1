package testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The lines one logger writes while a test runs, as {@code LEVEL message}: for the tests whose
 * subject is a log line (state changes, rate limits). System.Logger goes to java.util.logging here.
 */
public final class LogLines extends Handler implements AutoCloseable {
    private final Logger logger; // held: java.util.logging forgets the level of a logger nobody holds
    private final Level before;
    private final boolean parents;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    private LogLines(String name) {
        logger = Logger.getLogger(name);
        before = logger.getLevel();
        parents = logger.getUseParentHandlers();
        logger.setLevel(Level.INFO);
        logger.setUseParentHandlers(false); // captured, not printed
        logger.addHandler(this);
    }

    /** Captures INFO and above from the logger of {@code type} (loggers are named after classes). */
    public static LogLines of(Class<?> type) {
        return new LogLines(type.getName());
    }

    /** Captures INFO and above from the logger called {@code name}. */
    public static LogLines of(String name) {
        return new LogLines(name);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.INFO.intValue()) {
            lines.add(record.getLevel() + " " + formatter.formatMessage(record));
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(before);
        logger.setUseParentHandlers(parents);
    }
}
