package pool;

import static org.junit.jupiter.api.Assertions.*;

import algorithms.Strategy;
import config.Endpoint;
import config.Route;
import config.Timeouts;
import health.Ticker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Several instances that agree, at the level of one route's pool: the same endpoints in any order
 * (as each instance's file, or a DNS answer, lists them), with backups and weights, give every
 * client the same endpoint and the same fingerprint.
 */
class MaglevFingerprintTest {
    private static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("10.0.0.11", 80, 1, false), new Endpoint("10.0.0.12", 80, 2, false),
            new Endpoint("10.0.0.13", 80, 1, false), new Endpoint("backend-4", 8080, 3, false),
            new Endpoint("10.0.0.21", 80, 1, true), new Endpoint("10.0.0.22", 80, 1, true));

    private static BackendPool pool(Strategy strategy, List<Endpoint> endpoints) {
        Route route = new Route("web", "127.0.0.1", 0, strategy, endpoints, Timeouts.DEFAULTS, 0, Route.DEFAULT_RETRIES);
        List<Backend> backends = endpoints.stream().map(e -> new Backend(e, route, Ticker.SYSTEM, b -> { })).toList();
        return new BackendPool(route, backends, RandomGenerator.getDefault());
    }

    private static String answer(BackendPool pool, int client) {
        Lease lease = pool.lease(BackendPool.clientKey(new byte[] {127, 0, 0, (byte) client}), null);
        if (lease == null) return null;
        String address = pool.backend(lease.index()).address();
        lease.release();
        return address;
    }

    private static List<BackendPool> threeOrders() {
        List<BackendPool> pools = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 3; i++) {
            List<Endpoint> shuffled = new ArrayList<>(ENDPOINTS);
            Collections.shuffle(shuffled, random);
            if (i == 0) Collections.reverse(shuffled);
            pools.add(pool(Strategy.IPHASH, shuffled));
        }
        return pools;
    }

    @Test
    void threeOrdersOfTheSameEndpointsAgreeOnEveryClientAndFingerprint() {
        List<BackendPool> pools = threeOrders();
        long fingerprint = pools.getFirst().maglevFingerprint().orElseThrow();
        assertNotEquals(0, fingerprint);
        for (BackendPool pool : pools) assertEquals(fingerprint, pool.maglevFingerprint().orElseThrow());
        for (int client = 1; client <= 50; client++) {
            String first = answer(pools.getFirst(), client);
            assertFalse(first.startsWith("10.0.0.2"), "a backup while primaries are up: " + first);
            for (BackendPool pool : pools) assertEquals(first, answer(pool, client), "client 127.0.0." + client);
        }
    }

    @Test
    void whenEveryPrimaryIsDrainedTheBackupsTableAnswersAndItsFingerprintIsPublished() {
        List<BackendPool> pools = threeOrders();
        long primaries = pools.getFirst().maglevFingerprint().orElseThrow();
        for (BackendPool pool : pools) {
            for (Backend b : pool.backends()) if (!b.endpoint().backup()) b.draining(true);
        }
        long backups = pools.getFirst().maglevFingerprint().orElseThrow();
        assertNotEquals(primaries, backups);
        for (BackendPool pool : pools) assertEquals(backups, pool.maglevFingerprint().orElseThrow());
        for (int client = 1; client <= 50; client++) {
            String first = answer(pools.getFirst(), client);
            assertTrue(first.startsWith("10.0.0.2"), first);
            for (BackendPool pool : pools) assertEquals(first, answer(pool, client));
        }
        for (BackendPool pool : pools) {
            for (Backend b : pool.backends()) b.draining(true);
            assertEquals(0, pool.maglevFingerprint().orElseThrow(), "nothing usable: no table");
        }
    }

    @Test
    void aDifferentWeightOnOneInstanceShowsInItsFingerprint() {
        List<BackendPool> pools = threeOrders();
        pools.get(1).backends().stream().filter(b -> b.address().equals("10.0.0.13:80")).findFirst().orElseThrow().weight(5);
        assertNotEquals(pools.get(0).maglevFingerprint().orElseThrow(), pools.get(1).maglevFingerprint().orElseThrow());
        assertEquals(pools.get(0).maglevFingerprint(), pools.get(2).maglevFingerprint());
    }

    @Test
    void onlyIphashRoutesHaveAFingerprint() {
        for (Strategy strategy : Strategy.values()) {
            assertEquals(strategy == Strategy.IPHASH, pool(strategy, ENDPOINTS).maglevFingerprint().isPresent(), strategy.configName());
        }
    }
}
