package algorithms;

import java.util.List;
import java.util.random.RandomGenerator;

/** The load-balancing strategies a route can name in its config, and how to make each one. */
public enum Strategy {
    ROUNDROBIN("roundrobin", "round_robin"),
    RANDOM("random"),
    LEASTCONN("leastconn", "least_conn"),
    P2C("p2c"),
    IPHASH("iphash", "ip_hash");

    private final List<String> names;

    Strategy(String... names) {
        this.names = List.of(names);
    }

    /** The name written in configs and shown to users. */
    public String configName() {
        return names.getFirst();
    }

    /** Every spelling accepted in a config. */
    public List<String> names() {
        return names;
    }

    /** The strategy called {@code name} in a config, or {@code null}. */
    public static Strategy byName(String name) {
        for (Strategy s : values()) {
            if (s.names.contains(name)) return s;
        }
        return null;
    }

    /** A new, independent algorithm instance; {@code random} is used by the randomised ones. */
    public Algorithm create(RandomGenerator random) {
        return switch (this) {
            case ROUNDROBIN -> new SmoothRoundRobin();
            case RANDOM -> new WeightedRandom(random);
            case LEASTCONN -> new LeastConnections();
            case P2C -> new PowerOfTwoChoices(random);
            case IPHASH -> new Maglev();
        };
    }
}
