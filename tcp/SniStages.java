package tcp;

import config.Route;
import config.Sni;
import routing.RouteTable;
import tls.SniPreamble;

/**
 * The steps the config asks for, as far as TLS routing goes: a ClientHello peek
 * ({@link SniPreamble}) before the dial on an address whose routes are chosen by server name, no
 * greeting. One step in the chain the config's stages run (after a PROXY header, when the address
 * accepts one).
 */
public final class SniStages implements Stages {
    @Override
    public Preamble preamble(RouteTable table) {
        Sni sni = table.sni();
        return sni == null ? null : new SniPreamble(sni.timeout());
    }

    @Override
    public Greeting greeting(Route route) {
        return null;
    }
}
