package bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the benchmark and what /proc says about it and its descendants: CPU time
 * (utime + stime of every thread, as {@code /proc/PID/stat} sums them) and resident memory.
 * Every child is started through {@code bash -c 'ulimit -n ...; exec ...'}, so it gets the raised
 * file-descriptor limit and keeps the PID that we hold (exec replaces bash).
 */
final class Proc implements AutoCloseable {
    /** Kernel clock ticks per second for /proc times; 100 on every Linux we run on, asked once. */
    static final long TICKS_PER_SECOND = ticksPerSecond();

    final String name;
    final Process process;

    private Proc(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /** Starts {@code command} with the file-descriptor limit raised to {@code fdLimit}; output goes to {@code log}. */
    static Proc start(String name, List<String> command, int fdLimit, Path log, Path workDir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(withFdLimit(command, fdLimit)).redirectErrorStream(true).redirectOutput(log.toFile());
        if (workDir != null) pb.directory(workDir.toFile());
        return new Proc(name, pb.start());
    }

    /** {@code command} run through bash with the file-descriptor limit raised to {@code fdLimit}, or the hard limit if lower. */
    static List<String> withFdLimit(List<String> command, int fdLimit) {
        List<String> wrapped = new ArrayList<>(List.of("bash", "-c",
                "ulimit -n \"$0\" 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec \"$@\"", Integer.toString(fdLimit)));
        wrapped.addAll(command);
        return wrapped;
    }

    long pid() {
        return process.pid();
    }

    /** The process and all its descendants (nginx's workers), from /proc/PID/task/TID/children. */
    List<Long> tree() {
        List<Long> pids = new ArrayList<>();
        collect(pid(), pids);
        return pids;
    }

    private static void collect(long pid, List<Long> into) {
        into.add(pid);
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String children = Files.readString(task.resolve("children")).trim();
                if (children.isEmpty()) continue;
                for (String child : children.split("\\s+")) collect(Long.parseLong(child), into);
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended meanwhile: it has no children to add
        }
    }

    /** utime + stime of the whole tree, in microseconds. */
    long cpuMicros() {
        long ticks = 0;
        for (long pid : tree()) ticks += cpuTicks(pid);
        return ticks * 1_000_000 / TICKS_PER_SECOND;
    }

    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces; the fields after its ')' are fixed
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** Resident set size of the whole tree (VmRSS summed), in KiB. */
    long rssKib() {
        long kib = 0;
        for (long pid : tree()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) kib += Long.parseLong(line.replaceAll("\\D", ""));
                }
            } catch (IOException | RuntimeException gone) {
                // ended meanwhile
            }
        }
        return kib;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, then SIGKILL after five seconds; waits for the end. */
    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a command to its end (at most {@code timeoutSeconds}) and returns its stdout and stderr together; exit 0 or IOException. */
    static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        return run(command, timeoutSeconds, true);
    }

    /** As {@link #run(List, long)}, for commands such as {@code wrk -v} that exit non-zero after printing what we want. */
    static String output(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        return run(command, timeoutSeconds, false);
    }

    private static String run(List<String> command, long timeoutSeconds, boolean check) throws IOException, InterruptedException {
        Path out = Files.createTempFile("bench-run", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": not done in " + timeoutSeconds + " s");
            }
            String output = Files.readString(out);
            if (check && p.exitValue() != 0) throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + output);
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static long ticksPerSecond() {
        try {
            return Long.parseLong(run(List.of("getconf", "CLK_TCK"), 10).trim());
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 100;
        }
    }
}
