package tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The default global limit from a file-descriptor limit: two per connection, a tenth (at least 64) kept back. */
class GlobalLimitTest {
    @Test
    void theDefaultLeavesHeadroomAndCountsTwoDescriptorsPerConnection() {
        assertEquals(96, GlobalLimit.derived(256)); // (256 - 64) / 2
        assertEquals(9_000, GlobalLimit.derived(20_000)); // (20,000 - 2,000) / 2
        assertEquals(471_859, GlobalLimit.derived(1_048_576));
        assertEquals(1, GlobalLimit.derived(50), "never none at all");
        assertEquals(0, GlobalLimit.derived(-1), "unknown: unlimited");
    }

    @Test
    void permitsFollowTheLimitAndAResize() {
        GlobalLimit limit = new GlobalLimit(2);
        assertEquals(true, limit.tryAcquire());
        assertEquals(true, limit.tryAcquire());
        assertEquals(false, limit.tryAcquire());
        limit.resize(3);
        assertEquals(true, limit.tryAcquire());
        limit.release();
        assertEquals(true, limit.tryAcquire());
    }
}
