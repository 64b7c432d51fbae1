package e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.FutureTask;

/**
 * A command running in a child process, with what it prints collected by two virtual threads (so a
 * chatty command never blocks on a full pipe). Every wait has a deadline.
 */
final class Exec {
    private static final System.Logger LOG = System.getLogger("e2e.exec");
    private static final ProcessBuilder.Redirect NO_INPUT = ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

    /** What a finished command printed. */
    record Output(int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        /** The last lines of stderr, else of stdout: what a user needs to see when the command failed. */
        String tail() {
            String text = err.isBlank() ? out : err;
            List<String> lines = text.strip().lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        }
    }

    private final List<String> command;
    private final Process process;
    private final Future<String> out;
    private final Future<String> err;

    private Exec(List<String> command, Process process) {
        this.command = command;
        this.process = process;
        this.out = drain(process.getInputStream());
        this.err = drain(process.getErrorStream());
    }

    /** Starts {@code command} in {@code dir} with {@code env} added to this process's environment. */
    static Exec start(List<String> command, Path dir, Map<String, String> env) {
        LOG.log(System.Logger.Level.DEBUG, "run: {0}", String.join(" ", command));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectInput(NO_INPUT);
        pb.environment().putAll(env);
        try {
            return new Exec(command, pb.start());
        } catch (IOException e) {
            throw new E2eException("cannot run " + command.getFirst() + ": " + e.getMessage());
        }
    }

    /** Runs {@code command} to its end. */
    static Output run(List<String> command, Path dir, Map<String, String> env, Duration timeout) {
        return start(command, dir, env).await(timeout);
    }

    /** Waits up to {@code wait} for the end; true when it has ended. */
    boolean waitFor(Duration wait) {
        try {
            return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new E2eException("interrupted while running " + String.join(" ", command));
        }
    }

    /** Waits for the end and returns what the command printed; kills it after {@code timeout}. */
    Output await(Duration timeout) {
        if (!waitFor(timeout)) {
            process.destroyForcibly();
            throw new E2eException("%s did not finish within %d s".formatted(String.join(" ", command), timeout.toSeconds()));
        }
        try {
            Output output = new Output(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
            LOG.log(System.Logger.Level.DEBUG, "exit {0}: {1}", output.exit(), String.join(" ", command));
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new E2eException("interrupted while reading the output of " + command.getFirst());
        } catch (ExecutionException | TimeoutException e) {
            throw new E2eException("cannot read the output of " + String.join(" ", command) + ": " + e);
        }
    }

    private static Future<String> drain(InputStream in) {
        FutureTask<String> task = new FutureTask<>(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Thread.ofVirtual().name("exec-drain").start(task);
        return task;
    }
}
