package proxy;

import config.Route;
import config.Sni;
import java.util.ArrayList;
import java.util.List;
import proxyproto.AcceptProxy;
import proxyproto.SendProxy;
import routing.RouteTable;
import tcp.Greeting;
import tcp.Preamble;
import tcp.PreambleChain;
import tcp.Stages;
import tls.SniPreamble;

/**
 * The stages the config asks for, the server's default: the preamble of a listening address is a
 * chain of steps in the order they read the start of a connection (the PROXY header of
 * {@code accept_proxy} first, then the ClientHello of SNI routing, so that a header followed by a
 * hello in one segment works); the greeting of a route is the PROXY header of {@code send_proxy}
 * where it or an endpoint of its asks for one. Built per connection on its loop's thread, from the
 * route table the connection was accepted with, so a reload's settings apply to new connections.
 *
 * <p>Lives here, above {@code tcp}, {@code proxyproto} and {@code tls}, so that those import
 * {@code tcp} and never each other or back: the steps are theirs, which steps an address runs is
 * the config's.
 */
public final class ConfigStages implements Stages {
    public static final ConfigStages INSTANCE = new ConfigStages();

    private ConfigStages() {
    }

    /**
     * The steps for a connection to {@code table}'s address, or null when there are none. Routes
     * of one address read the same start: {@code accept_proxy} is the first route's (the config
     * requires the routes of an address to agree on it).
     */
    @Override
    public Preamble preamble(RouteTable table) {
        Route first = table.first();
        Sni sni = table.sni(); // a ClientHello peek where the address's routes are chosen by server name
        if (first.proxy().accept() == null && sni == null) return null; // the common case: nothing to read first, nothing allocated
        List<Preamble> steps = new ArrayList<>(2);
        if (first.proxy().accept() != null) steps.add(new AcceptProxy(first.proxy().accept()));
        if (sni != null) steps.add(new SniPreamble(sni.timeout())); // after the header: it sees the bytes the header left
        return steps.size() == 1 ? steps.getFirst() : new PreambleChain(steps);
    }

    @Override
    public Greeting greeting(Route route) {
        return SendProxy.any(route.proxy(), route.endpoints()) ? new SendProxy(route.proxy()) : null;
    }
}
