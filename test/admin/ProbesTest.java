package admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What {@code /healthz} and {@code /readyz} answer as the process's state changes. */
class ProbesTest {
    @Test
    void readyzFollowsReadinessAndHealthzLiveness() {
        AtomicBoolean live = new AtomicBoolean(true), ready = new AtomicBoolean(true);
        AtomicReference<String> phase = new AtomicReference<>("serving");
        Probes probes = new Probes(live::get, phase::get, ready::get);
        assertEquals(new Reply(200, Map.of("status", "ok", "phase", "serving")), probes.answer(Probes.READY));
        assertEquals(200, probes.answer(Probes.LIVE).status());
        ready.set(false);
        phase.set("leaving");
        assertEquals(new Reply(503, Map.of("status", "unavailable", "phase", "leaving")), probes.answer(Probes.READY));
        assertEquals(200, probes.answer(Probes.LIVE).status(), "alive while it leaves");
        live.set(false);
        assertEquals(503, probes.answer(Probes.LIVE).status());
        assertNull(probes.answer("/readyz/"), "only the two paths");
        assertNull(probes.answer("/api/v1/routes"));
    }
}
