package proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The phases a readiness probe sees, and a second signal ending {@code shutdown_delay} at once. */
class LifecyclePhasesTest {

    @Test
    void leavingIsNotReadyAndASecondSignalEndsTheDelay() throws Exception {
        Lifecycle lifecycle = new Lifecycle();
        assertEquals(Lifecycle.Phase.SERVING, lifecycle.phase());
        assertTrue(lifecycle.ready());
        Thread shutdown = Thread.ofPlatform().start(() -> lifecycle.leave(Duration.ofHours(1)));
        while (lifecycle.phase() == Lifecycle.Phase.SERVING) Thread.sleep(5);
        assertEquals(Lifecycle.Phase.LEAVING, lifecycle.phase());
        assertFalse(lifecycle.ready());
        lifecycle.hurry();
        shutdown.join(Duration.ofSeconds(30)); // a bound on the wait: without hurry() it would take an hour
        assertFalse(shutdown.isAlive(), "hurry() ends the delay");
        assertEquals(Lifecycle.Phase.DRAINING, lifecycle.phase());
        lifecycle.leave(Duration.ofHours(1)); // a second leave returns at once and changes nothing
        assertEquals(Lifecycle.Phase.DRAINING, lifecycle.phase());
        lifecycle.stopped();
        assertEquals(Lifecycle.Phase.STOPPED, lifecycle.phase());
        assertFalse(lifecycle.ready());
    }

    @Test
    void aZeroDelayGoesStraightToDraining() {
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.leave(Duration.ZERO);
        assertEquals(Lifecycle.Phase.DRAINING, lifecycle.phase());
    }
}
