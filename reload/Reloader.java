package reload;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import config.Config;
import config.ConfigError;
import config.ConfigException;
import config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import proxy.ConfigDiff;
import proxy.Server;

/**
 * Reloads the config file into the running server: SIGHUP, a change of the file, or the admin API
 * all come here. The whole file is parsed and validated first; an invalid file changes nothing
 * (the server keeps running on the config it has) and its problems are logged at WARNING with
 * file:line:column, counted, and returned to the caller.
 */
public final class Reloader {
    private static final System.Logger LOG = System.getLogger(Reloader.class.getName());

    private final Path file;
    private final Server server;
    private final UnaryOperator<Config> overrides;
    private final ReentrantLock lock = new ReentrantLock(); // one reload at a time, whoever asks
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public Reloader(Path file, Server server) {
        this(file, server, UnaryOperator.identity());
    }

    /** @param overrides what the command line sets over the file ({@code --engine}), on every reload as at the start */
    public Reloader(Path file, Server server, UnaryOperator<Config> overrides) {
        this.file = file;
        this.server = server;
        this.overrides = overrides;
    }

    /** Reloads now; {@code trigger} says who asked ("SIGHUP", "file changed", "admin API"). */
    public ReloadResult reload(String trigger) {
        lock.lock();
        try {
            Config next;
            try {
                next = load(trigger, null);
            } catch (ConfigException e) {
                return rejected(trigger, e.errors());
            }
            if (next.equals(server.config())) {
                LOG.log(DEBUG, "reload ({0}): {1} unchanged", trigger, file);
                succeeded.incrementAndGet();
                return new ReloadResult(true, false, List.of(), server.diff(next));
            }
            Config running = server.config();
            if (!next.admin().equals(running.admin()) || !next.accessLog().equals(running.accessLog())
                    || next.reusePort() != running.reusePort()) {
                LOG.log(WARNING, "reload ({0}): admin, access_log and reuse_port changes take effect at the next start", trigger);
            }
            ConfigDiff diff;
            try {
                diff = server.reload(next);
            } catch (IOException | IllegalStateException e) {
                return rejected(trigger, List.of(new ConfigError(file.toString(), 0, 0, e.getMessage())));
            }
            succeeded.incrementAndGet();
            LOG.log(INFO, "reloaded {0} ({1}): {2}", file, trigger, diff.summary());
            return new ReloadResult(true, false, List.of(), diff);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A dry run: what {@link #reload} would change, applying nothing and counting nothing.
     * New listening addresses are not bound, so one already in use shows only at the reload itself.
     *
     * @param text the config to compare with the running one, as YAML, read as if it were the
     *             config file (its problems say the file's name, relative paths are the file's);
     *             null: the config file itself, as a reload would read it
     */
    public ReloadResult dryRun(String text) {
        lock.lock(); // not to compare with a config that a reload is swapping out
        try {
            Config next;
            try {
                next = load("dry run", text);
            } catch (ConfigException e) {
                LOG.log(DEBUG, "dry run: {0} problem(s)", e.errors().size());
                return new ReloadResult(false, true, e.errors(), null);
            }
            return new ReloadResult(false, true, List.of(), server.diff(next));
        } finally {
            lock.unlock();
        }
    }

    private Config load(String trigger, String text) throws ConfigException {
        try {
            return overrides.apply(text == null ? ConfigLoader.load(file) : ConfigLoader.parse(file, text));
        } catch (RuntimeException e) {
            // a bug in the loader: refused like an invalid file, so that the caller (the SIGHUP or
            // watch thread, the API) goes on, and logged with its stack trace to be fixed
            LOG.log(WARNING, "reload (" + trigger + "): loading " + file + " failed", e);
            throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "could not be loaded: " + e)));
        }
    }

    private ReloadResult rejected(String trigger, List<ConfigError> errors) {
        failed.incrementAndGet();
        LOG.log(WARNING, "reload ({0}) rejected, still running the previous config; {1} problem(s):", trigger, errors.size());
        for (ConfigError error : errors) LOG.log(WARNING, "  {0}", error);
        return new ReloadResult(false, false, errors, null);
    }

    /** Reloads that applied a config (or found it unchanged), since start. */
    public long succeeded() {
        return succeeded.get();
    }

    /** Reloads rejected for an invalid file or an address that could not be bound, since start. */
    public long failed() {
        return failed.get();
    }

    public Path file() {
        return file;
    }
}
