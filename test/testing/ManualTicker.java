package testing;

import health.Ticker;
import java.time.Duration;

/** A clock that moves only when told: cool-downs and rates tested without sleeping through them. */
public final class ManualTicker implements Ticker {
    private volatile long now = 1_000_000_000_000L;

    @Override
    public long nanos() {
        return now;
    }

    public void advance(Duration d) {
        now += d.toNanos();
    }
}
