package launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * featherlb as a user runs it: a separate JVM with the test classpath and the entry class
 * {@code featherlb}, so exit codes, stdout, stderr and signals are the real ones.
 */
final class Featherlb {
    private Featherlb() {
    }

    record Result(int exit, String out, String err) {
    }

    static ProcessBuilder command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("featherlb");
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /** Runs to completion (at most 30 s) and returns what it printed. */
    static Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), args);
    }

    /** The same with these variables added to the environment. */
    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("featherlb-out", ".txt");
        Path err = Files.createTempFile("featherlb-err", ".txt");
        try {
            ProcessBuilder pb = command(args);
            pb.environment().putAll(env);
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("featherlb " + String.join(" ", args) + " did not finish in 30 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
