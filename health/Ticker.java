package health;

/**
 * Monotonic time in nanoseconds, injectable so that tests of cool-downs and slow start can move time
 * on instead of sleeping through it.
 */
@FunctionalInterface
public interface Ticker {
    long nanos();

    Ticker SYSTEM = System::nanoTime;
}
