package tcp;

import config.Route;
import routing.RouteTable;

/**
 * Which steps a connection runs before the dial ({@link Preamble}) and after the connect
 * ({@link Greeting}), as a route table's and a route's config say. Injected into the server, so a
 * test can stand in steps of its own.
 */
public interface Stages {
    /** A new preamble for a connection to {@code table}'s address, or null: dial at once. */
    Preamble preamble(RouteTable table);

    /** The greeting of {@code route}'s endpoints, or null for none. */
    Greeting greeting(Route route);

    /** No preamble and no greeting: for tests and tools that want plain forwarding whatever the config says. */
    Stages NONE = new Stages() {
        @Override
        public Preamble preamble(RouteTable table) {
            return null;
        }

        @Override
        public Greeting greeting(Route route) {
            return null;
        }
    };
}
