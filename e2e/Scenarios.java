package e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The catalogue of scenarios: one per algorithm, a weighted one and the fault one. Each has a fixed
 * featherlb port, whichever are selected, so that a kept stack ({@code --keep}) reads the same every time.
 */
public final class Scenarios {
    /** Scenario names that {@code --algorithms} accepts, in the order they run. */
    public static final List<String> ALGORITHMS = List.of("roundrobin", "random", "iphash", "leastconn", "p2c", "weighted");
    public static final String FAULT = "fault";
    /** Backend services in compose.yaml: backend1..backend8. */
    public static final int MAX_BACKENDS = 8;
    /** Client services in compose.yaml: client1..client3; iphash loads from all of them. */
    public static final int CLIENTS = 3;
    /** e2e/nginx.conf answers at once on this port ... */
    static final int FAST_PORT = 80;
    /** ... and about one second late on this one (limit_rate), for leastconn and p2c. */
    static final int SLOW_PORT = 81;
    private static final int FIRST_PORT = 8081;

    private Scenarios() {}

    /**
     * @param algorithms names from {@link #ALGORITHMS}, in any order
     * @param backends   number of backends, 2..{@link #MAX_BACKENDS}
     * @param fault      whether to add the fault scenario
     */
    public static List<Scenario> plan(List<String> algorithms, int backends, boolean fault) {
        if (backends < 2 || backends > MAX_BACKENDS) {
            throw new IllegalArgumentException("backends must be 2.." + MAX_BACKENDS + " (compose.yaml defines backend1..backend" + MAX_BACKENDS + "), not " + backends);
        }
        for (String a : algorithms) {
            if (!ALGORITHMS.contains(a)) {
                throw new IllegalArgumentException("unknown algorithm '" + a + "'; expected some of " + String.join(", ", ALGORITHMS));
            }
        }
        List<Scenario> plan = new ArrayList<>();
        for (String name : ALGORITHMS) {
            if (algorithms.contains(name)) plan.add(scenario(name, backends));
        }
        if (fault) plan.add(scenario(FAULT, backends));
        return List.copyOf(plan);
    }

    private static Scenario scenario(String name, int backends) {
        int port = FIRST_PORT + (name.equals(FAULT) ? ALGORITHMS.size() : ALGORITHMS.indexOf(name));
        List<Scenario.Endpoint> even = endpoints(backends, i -> 1, i -> FAST_PORT);
        List<Scenario.Endpoint> slowFirst = endpoints(backends, i -> 1, i -> i == 1 ? SLOW_PORT : FAST_PORT);
        return switch (name) {
            case "roundrobin" -> new Scenario(name, "roundrobin", port, even, 1, new Scenario.Check.Split(2.0));
            case "random" -> new Scenario(name, "random", port, even, 1, new Scenario.Check.RandomSplit());
            // one client container is one address, so one backend: several clients make the check mean something
            case "iphash" -> new Scenario(name, "iphash", port, even, CLIENTS, new Scenario.Check.Sticky());
            // both count open connections: the slowed backend holds its connections ~1 s, so it must get fewer.
            // (An even split would not tell p2c from random; avoiding the loaded backend does.)
            case "leastconn", "p2c" -> new Scenario(name, name, port, slowFirst, 1, new Scenario.Check.SlowGetsFewer(backend(1), 0.5));
            // weights n, n-1, .. 1: every backend gets a different share
            case "weighted" -> new Scenario(name, "roundrobin", port,
                    endpoints(backends, i -> backends + 1 - i, i -> FAST_PORT), 1, new Scenario.Check.Split(2.0));
            case FAULT -> new Scenario(name, "roundrobin", port, even, 1, new Scenario.Check.Fault(backend(2)));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The compose service name of backend {@code i}, counted from 1. */
    public static String backend(int i) {
        return "backend" + i;
    }

    /** The compose service name of client {@code i}, counted from 1. */
    public static String client(int i) {
        return "client" + i;
    }

    private static List<Scenario.Endpoint> endpoints(int n, java.util.function.IntUnaryOperator weight,
                                                     java.util.function.IntUnaryOperator port) {
        return IntStream.rangeClosed(1, n)
                .mapToObj(i -> new Scenario.Endpoint(backend(i), port.applyAsInt(i), weight.applyAsInt(i)))
                .toList();
    }
}
