package e2e;

import java.io.PrintStream;
import java.time.Duration;

/**
 * What a person at the console sees: set-up steps, "scenario n of m", a countdown while load runs.
 * On a terminal the countdown rewrites one line; elsewhere (CI logs) it prints a line every 5 s.
 */
final class Progress {
    private final PrintStream out;
    private final boolean terminal;

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    /** Runs {@code work} between "[setup] what ..." and "done (n s)". */
    void step(String what, Runnable work) {
        long start = System.nanoTime();
        out.print("[setup] " + what + " ... ");
        out.flush();
        work.run();
        line("done (%.1f s)".formatted((System.nanoTime() - start) / 1e9));
    }

    /** Waits for {@code load} to end, counting down from {@code seconds}. */
    void countdown(String prefix, int seconds, Exec load) {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long shown = seconds;
        while (!load.waitFor(Duration.ofMillis(terminal ? 250 : 1000))) {
            long left = Math.max(0, (end - System.nanoTime() + 999_999_999) / 1_000_000_000);
            if (terminal) {
                out.print("\r" + prefix + (left > 0 ? left + " s left  " : "finishing ..."));
                out.flush();
            } else if (left > 0 && left % 5 == 0 && left != shown) {
                line(prefix + left + " s left");
                shown = left;
            }
        }
        if (terminal) out.print("\r" + " ".repeat(prefix.length() + 16) + "\r");
    }
}
