package config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them in configs and on the command line: {@code 500ms}, {@code 3s}, {@code 5m}, {@code 1h}. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    /** What to say a duration should look like, in error messages. */
    public static final String EXPECTED = "a duration above zero such as 500ms, 3s, 5m";

    /** The same where zero is valid and means off. */
    public static final String EXPECTED_OR_ZERO = "a duration such as 0s (off), 500ms, 3s, 5m";

    /**
     * The longest duration accepted anywhere (a timeout, an interval, the grace period): a year.
     * Longer ones are mistakes, and 999999999h overflowed the nanoseconds that deadlines are
     * computed in, which killed the threads that compute them.
     */
    public static final Duration MAX = Duration.ofDays(365);

    /** What to say when a duration is over {@link #MAX}. */
    public static final String EXPECTED_MAX = "a duration of at most " + format(MAX) + ", a year";

    private Durations() {
    }

    /** The duration, or null when {@code text} is not one. */
    public static Duration parse(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) return null;
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    /** As a user would write it: the largest unit that divides it. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
