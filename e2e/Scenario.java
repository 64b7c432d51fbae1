package e2e;

import java.util.List;

/**
 * One load run against one featherlb route, and what its outcome must show.
 *
 * @param name      the scenario's name; also the featherlb route's name and the value of the
 *                  {@code X-E2E-Scenario} header by which the backends' access logs tell scenarios apart
 * @param strategy  the route's featherlb strategy
 * @param port      the route's listen port inside the featherlb container
 * @param endpoints the route's endpoints
 * @param clients   how many client containers load the route at once, each from its own address
 * @param check     what the result must show
 */
public record Scenario(String name, String strategy, int port, List<Endpoint> endpoints, int clients, Check check) {

    public Scenario {
        endpoints = List.copyOf(endpoints);
    }

    /** A backend container (compose service name) and the nginx port featherlb dials there. */
    public record Endpoint(String backend, int port, int weight) {}

    /** What a scenario's outcome must show; {@link Verdicts} turns it into verdict lines. */
    public sealed interface Check {
        /** Each backend's share of requests lies within {@code tolerance} percentage points of its weight's share. */
        record Split(double tolerance) implements Check {}

        /** Like {@link Split}, with the tolerance taken from the sample size: random picks are a binomial sample. */
        record RandomSplit() implements Check {}

        /** Every client address lands on one backend only. */
        record Sticky() implements Check {}

        /** The slowed backend gets at most {@code ratio} times the requests of the least loaded other one. */
        record SlowGetsFewer(String slow, double ratio) implements Check {}

        /** {@code victim} is stopped under load and started again; it must take traffic again. */
        record Fault(String victim) implements Check {}

        /** A scenario that judges itself ({@link OwnScenario}); {@code routes} is the YAML of its featherlb routes. */
        record Own(String routes) implements Check {}
    }

    /** The backends in endpoint order. */
    public List<String> backends() {
        return endpoints.stream().map(Endpoint::backend).toList();
    }

    /** Whether any endpoint has a weight other than the default 1. */
    public boolean weighted() {
        return endpoints.stream().anyMatch(e -> e.weight() != 1);
    }
}
