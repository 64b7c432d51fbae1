package health;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;

import algorithms.Strategy;
import config.Durations;
import config.Endpoint;
import config.Health;
import config.HealthCheck;
import config.Route;
import dial.ConnectFailure;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether one endpoint may take new connections, as its health checks and its connects say, and
 * how much of its weight it has while it ramps back up after a recovery (slow start).
 *
 * <p>Two verdicts; the endpoint is used only while neither says down:
 * <ul>
 * <li><b>Active</b>, from the endpoint's health-check thread. An endpoint starts up and its first
 *     check decides: a failed first check takes it down at once (so that a freshly started
 *     featherlb does not send clients to a dead endpoint for fall × interval), a passed one
 *     confirms it. From then on it takes {@code fall} failed checks in a row to go down and
 *     {@code rise} passed ones to come back, HAProxy's rule.
 * <li><b>Passive</b>, from connection threads. {@code failures} failed connects in a row eject it
 *     for {@code cooldown}. Then it is half-open: one connection is let through as the trial
 *     ({@link #claimTrial}) while every other goes elsewhere, as Envoy's outlier detection and a
 *     circuit breaker's half-open state do; a trial that connects brings it back, one that fails
 *     ejects it for another cool-down, one that ends undecided (its client left during the connect)
 *     lets the next connection be the trial, and one still undecided after a further cool-down
 *     does too, so that nothing holds the endpoint out for good. Clients do not see those failures:
 *     the connection retries on another endpoint. With active checks,
 *     {@code rise} passed checks in a row end an ejection early, as Envoy does by default.
 * </ul>
 *
 * <p>Each change between up and down is logged once at INFO ({@code endpoint web/b:80 down:
 * connect refused x3}). When the route says {@code on_down: close}, the server's callback closes
 * the endpoint's open connections; it runs on the thread that saw the change, outside the lock.
 *
 * <p>Slow start: for {@code slow_start} after it comes back (never at start-up), the endpoint has
 * {@code weight × step} in units of {@code 1/RAMP_STEPS}, {@code step} being the tenths of
 * {@code slow_start} gone by (at least 1, so that it is tried at once), and its whole weight when
 * {@code slow_start} is over; the pool scales every endpoint's weight by {@link #RAMP_STEPS} so
 * that the units match. Steps rather than a smooth ramp so that the weights change a handful of
 * times, not at every pick. Not for iphash: each step would move clients between endpoints, which is what
 * iphash is there to avoid (HAProxy likewise applies slowstart to dynamic algorithms only).
 *
 * <p>Threads: changes take this object's monitor. The reads made for every pick ({@link #usable()},
 * {@link #rampedWeight}) and a successful connect while all is well touch volatile fields only.
 */
public final class HealthState {
    private static final System.Logger LOG = System.getLogger(HealthState.class.getName());
    /** How many steps slow start takes from a tenth of the weight to all of it. */
    public static final int RAMP_STEPS = 10;
    private static final long NOT_RAMPING = Long.MIN_VALUE;
    /** {@link #trialSince} when no trial is out; also what {@link #claimTrial} returns for "not a trial". */
    public static final long NO_TRIAL = Long.MIN_VALUE;
    /** Longer than anyone waits: keeps {@code now + cooldown} clear of overflow. */
    private static final long FOREVER = Duration.ofDays(365 * 100).toNanos();

    /** The rules from the config, swapped whole when a reload changes them. */
    private record Rules(String name, int rise, int fall, int passiveFailures, long cooldownNanos, String cooldownText,
                         long stepNanos, String slowStartText, boolean closeOnDown) {
        static Rules of(String name, Health health, HealthCheck check, boolean slowStart) {
            HealthCheck counts = check != null ? check : HealthCheck.DEFAULTS;
            return new Rules(name, counts.rise(), counts.fall(), health.passive().failures(), nanos(health.passive().cooldown()),
                    Durations.format(health.passive().cooldown()),
                    slowStart ? Math.max(1, nanos(health.slowStart()) / RAMP_STEPS) : 0, // the length of one step; 0: none
                    slowStart ? ", slow start over " + Durations.format(health.slowStart()) : "",
                    health.closeOnDown());
        }
    }

    private volatile Rules rules;
    private final Ticker ticker;
    private final Runnable wentDown; // run after a change to down when the rules say on_down: close

    private volatile boolean checkedDown;
    private volatile boolean ejected;
    private volatile long ejectedUntil;
    private final AtomicInteger connectFailures = new AtomicInteger(); // in a row
    private final AtomicLong rampStart = new AtomicLong(NOT_RAMPING);
    /** When the half-open trial now out was claimed, or {@link #NO_TRIAL}. */
    private final AtomicLong trialSince = new AtomicLong(NO_TRIAL);
    private volatile String reason = "";
    private volatile LastCheck lastCheck; // null until the first active check

    // guarded by this
    private boolean decided;
    private int passes;
    private int fails;

    /**
     * @param name     {@code route/host:port}, for logs
     * @param check    the endpoint's active check (for rise and fall), or null when it has none
     * @param wentDown run after each change to down if {@code health} says {@code on_down: close}
     */
    public HealthState(String name, Health health, HealthCheck check, boolean slowStart, Ticker ticker, Runnable wentDown) {
        this.rules = Rules.of(name, health, check, slowStart);
        this.ticker = ticker;
        this.wentDown = wentDown;
    }

    /** The state of {@code endpoint} of {@code route}. */
    public static HealthState of(Route route, Endpoint endpoint, Ticker ticker, Runnable wentDown) {
        return new HealthState(nameOf(route, endpoint), route.health(), route.health().checkOf(endpoint), slowStarts(route), ticker, wentDown);
    }

    private static String nameOf(Route route, Endpoint endpoint) {
        return route.name() + "/" + endpoint.address();
    }

    /**
     * A reload kept this endpoint: its new route's rules apply from now on and its state stays, but
     * for one thing: with no active check any more, nothing would ever bring back an endpoint that
     * checks took down, so their verdict goes with them.
     */
    public void reconfigure(Route route, Endpoint endpoint) {
        HealthCheck check = route.health().checkOf(endpoint);
        synchronized (this) {
            rules = Rules.of(nameOf(route, endpoint), route.health(), check, slowStarts(route));
            if (check == null) {
                decided = false; // a check added by a later reload decides afresh
                passes = 0;
                fails = 0;
                if (checkedDown) {
                    checkedDown = false;
                    if (!ejected) becameUp("its health check was removed", now());
                }
            }
        }
    }

    /** Whether the route's endpoints ramp up after a recovery: {@code slow_start} is set and the
     * strategy is not iphash (see the class comment). */
    public static boolean slowStarts(Route route) {
        return !route.health().slowStart().isZero() && route.strategy() != Strategy.IPHASH;
    }

    private static long nanos(Duration d) {
        return d.compareTo(Duration.ofNanos(FOREVER)) > 0 ? FOREVER : d.toNanos();
    }

    /** {@code route/host:port}, as the log lines name the endpoint. */
    public String name() {
        return rules.name();
    }

    /** Now, on this state's clock. */
    public long now() {
        return ticker.nanos();
    }

    /** Whether neither verdict says down; true also while half-open after a cool-down, until a
     * connection claims the trial ({@link #claimTrial}). */
    public boolean usable() {
        if (checkedDown) return false;
        if (!ejected) return true;
        long now = ticker.nanos();
        return now - ejectedUntil >= 0 && trialFree(now);
    }

    private boolean trialFree(long now) {
        long since = trialSince.get();
        return since == NO_TRIAL || now - since >= rules.cooldownNanos();
    }

    /**
     * The pool picked this endpoint for a connection: if it is half-open, that connection is the
     * trial, and the endpoint is not {@link #usable} for others until the trial is decided. Returns
     * the trial's token for {@link #trialAbandoned}, or {@link #NO_TRIAL} when this is not a trial
     * (the endpoint is up: one volatile read). Called by the pool under its lock.
     */
    public long claimTrial() {
        if (!ejected) return NO_TRIAL;
        long now = ticker.nanos();
        if (now - ejectedUntil < 0) return NO_TRIAL;
        long since = trialSince.get();
        if (since != NO_TRIAL && now - since < rules.cooldownNanos()) return NO_TRIAL;
        return trialSince.compareAndSet(since, now) ? now : NO_TRIAL;
    }

    /** The trial {@code token} ended with neither a connect nor a failure (its client left): the
     * next connection may be the trial. Nothing if a verdict or another trial came meanwhile. */
    public void trialAbandoned(long token) {
        if (token != NO_TRIAL) trialSince.compareAndSet(token, NO_TRIAL);
    }

    /** Up and not half-open: what the log lines' "up" and "down" speak of. */
    private boolean healthy() {
        return !checkedDown && !ejected;
    }

    /**
     * The result of the last active check.
     *
     * @param atMillis when it ended, wall-clock milliseconds
     * @param result   {@code passed}, or why it failed ("connect refused", "status 503")
     */
    public record LastCheck(long atMillis, String result) {
    }

    /** The last active check's result, or null before the first (or without active checks). */
    public LastCheck lastCheck() {
        return lastCheck;
    }

    /** Why it is down ("connect refused x3"), or "" while it is up. */
    public String reason() {
        return healthy() ? "" : reason;
    }

    /**
     * {@code weight} as it is {@code now}, in units of {@code 1/RAMP_STEPS}: {@code weight ×
     * RAMP_STEPS} when not ramping. During a ramp (or half-open, which ramps from the end of the
     * cool-down) {@code weight × max(1, tenths of slow_start gone by)}.
     */
    public int rampedWeight(int weight, long now) {
        long stepNanos = rules.stepNanos();
        if (stepNanos == 0) return weight * RAMP_STEPS;
        long start = ejected ? ejectedUntil : rampStart.get();
        if (start == NOT_RAMPING) return weight * RAMP_STEPS;
        long elapsed = now - start;
        long step = elapsed <= 0 ? 1 : Math.max(1, elapsed / stepNanos);
        if (step >= RAMP_STEPS) {
            if (!ejected) rampStart.compareAndSet(start, NOT_RAMPING); // ended; a new ramp may have begun meanwhile
            return weight * RAMP_STEPS;
        }
        return weight * (int) step;
    }

    /** A health check passed ({@code failure} null) or failed with {@code failure} as the reason.
     * Called by the endpoint's check thread, one check after another. */
    public void checked(String failure) {
        lastCheck = new LastCheck(System.currentTimeMillis(), failure == null ? "passed" : failure);
        boolean down = false;
        synchronized (this) {
            Rules r = rules;
            boolean first = !decided;
            decided = true;
            if (failure == null) {
                passes++;
                fails = 0;
                if (!healthy() && passes >= r.rise()) {
                    checkedDown = false;
                    ejected = false;
                    connectFailures.set(0);
                    becameUp(passes + (passes == 1 ? " check" : " checks") + " passed", now());
                }
            } else {
                fails++;
                passes = 0;
                if (!checkedDown && (first || fails >= r.fall())) {
                    boolean before = healthy();
                    String why = first ? "first check failed (" + failure + ")" : fails + " checks failed (" + failure + ")";
                    reason = why; // before the flag: a reader that sees it down finds why
                    checkedDown = true;
                    down = becameDown(before, why, "");
                }
            }
        }
        if (down) wentDown.run();
    }

    /** A connect to the endpoint succeeded. Called by connection threads. */
    public void connected() {
        if (ejected) {
            recover();
        } else if (connectFailures.get() != 0) {
            connectFailures.set(0);
        }
    }

    private synchronized void recover() {
        if (!ejected || ticker.nanos() - ejectedUntil < 0) return; // not half-open: picked before the ejection
        ejected = false;
        trialSince.set(NO_TRIAL);
        connectFailures.set(0);
        if (!checkedDown) becameUp("connected after the " + rules.cooldownText() + " cool-down", ejectedUntil);
    }

    /** A connect to the endpoint failed. Called by connection threads. */
    public void connectFailed(ConnectFailure why) {
        Rules r = rules;
        if (r.passiveFailures() == 0) return;
        boolean down = false;
        synchronized (this) {
            long now = ticker.nanos();
            if (ejected) {
                if (now - ejectedUntil >= 0) { // the half-open try failed: another cool-down
                    ejectedUntil = now + r.cooldownNanos();
                    trialSince.set(NO_TRIAL); // the next trial comes after it
                    LOG.log(DEBUG, "endpoint {0} still down: {1}, next try in {2}", r.name(), why.description(), r.cooldownText());
                }
                return;
            }
            int failures = connectFailures.incrementAndGet();
            if (failures < r.passiveFailures()) return;
            boolean before = healthy();
            String reasonNow = why.description() + " x" + failures;
            reason = reasonNow;
            ejectedUntil = now + r.cooldownNanos(); // these before ejected: readers read them after it
            ejected = true;
            connectFailures.set(0);
            passes = 0; // rise passed checks from here end the ejection early
            down = becameDown(before, reasonNow, " (trying again in " + r.cooldownText() + ")");
        }
        if (down) wentDown.run();
    }

    /** Sets the active verdict as checks would, at once: for tests and operators. Checks that run
     * go on from there. */
    public void force(boolean up) {
        boolean down = false;
        synchronized (this) {
            boolean before = healthy();
            passes = 0;
            fails = 0;
            if (up) {
                checkedDown = false;
                ejected = false;
                connectFailures.set(0);
                if (!before) becameUp("set up", now());
            } else if (!checkedDown) {
                reason = "set down";
                checkedDown = true;
                down = becameDown(before, "set down", "");
            }
        }
        if (down) wentDown.run();
    }

    /** Under the monitor, after {@link #reason} and the flag were set: logs a change to down;
     * returns whether the on_down callback should run. */
    private boolean becameDown(boolean wasHealthy, String why, String more) {
        rampStart.set(NOT_RAMPING);
        Rules r = rules;
        if (!wasHealthy) { // already down for the other verdict: no change to report
            LOG.log(DEBUG, "endpoint {0} also down: {1}", r.name(), why);
            return false;
        }
        LOG.log(INFO, "endpoint {0} down: {1}{2}", r.name(), why, more);
        return r.closeOnDown() && wentDown != null;
    }

    /**
     * The endpoint joined a pool that was already serving (a reload or a discovery added it): with
     * slow start, its weight ramps from now, as one that came back up (an endpoint listed at start
     * takes its full share at once: all start together).
     */
    public void joined() {
        if (rules.stepNanos() != 0) rampStart.set(now());
    }

    /** Under the monitor: logs a change to up and starts the slow-start ramp from {@code since}. */
    private void becameUp(String why, long since) {
        Rules r = rules;
        if (r.stepNanos() != 0) rampStart.set(since);
        reason = "";
        LOG.log(INFO, "endpoint {0} up: {1}{2}", r.name(), why, r.slowStartText());
    }


    @Override
    public String toString() {
        return rules.name() + (healthy() ? " up" : " down: " + reason);
    }
}
