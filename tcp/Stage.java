package tcp;

/**
 * A TCP connection's life, one stage at a time: {@code PREAMBLE → DIALING → FORWARDING (→ REDIALING
 * → FORWARDING) → ENDED}, and from every stage straight to ENDED. The transitions are {@link #next}'s
 * and nowhere else; {@link Connection} enters each.
 */
enum Stage {
    /** Reading the start of the connection (a PROXY header, a ClientHello) before a route is chosen. */
    PREAMBLE,
    /** Picking endpoints and connecting, until one answers or none is left. */
    DIALING,
    /** The engine carries bytes both ways. */
    FORWARDING,
    /** The endpoint closed before answering: dialling the next one, the client not read meanwhile. */
    REDIALING,
    /** Over: sockets closed, lease given back, record written. */
    ENDED;

    /** Whether a connection at this stage may go to {@code to}. */
    boolean next(Stage to) {
        return switch (this) {
            case PREAMBLE -> to == DIALING || to == ENDED;
            case DIALING, REDIALING -> to == FORWARDING || to == ENDED;
            case FORWARDING -> to == REDIALING || to == ENDED;
            case ENDED -> false;
        };
    }
}
