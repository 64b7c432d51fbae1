package e2e;

import java.util.List;

/** Writes the featherlb config of a run: one route per scenario, all served by one featherlb. */
public final class FeatherlbConfig {
    /** The admin port, on every address of featherlb's container: scenarios read its metrics from a client (UdpDns). */
    public static final int ADMIN_PORT = 9900;

    private FeatherlbConfig() {}

    public static String render(List<Scenario> scenarios) {
        StringBuilder yaml = new StringBuilder("""
                # Written by e2e.java for one end-to-end run: one route per scenario. Backends are
                # compose services, named in featherlb's /etc/hosts (compose.yaml: extra_hosts).
                routes:
                """);
        scenarios.forEach(s -> yaml.append(route(s)));
        // no port is published (compose.yaml): only the stack's own containers reach it
        yaml.append("admin: {address: 0.0.0.0:").append(ADMIN_PORT).append("}\n");
        return yaml.toString();
    }

    /** The YAML of one scenario's route, as it stands in the config (also shown in the run log). */
    public static String route(Scenario s) {
        if (s.check() instanceof Scenario.Check.Own own) return own.routes();
        StringBuilder yaml = new StringBuilder()
                .append("  - name: ").append(s.name()).append('\n')
                .append("    host: 0.0.0.0\n")
                .append("    port: ").append(s.port()).append('\n')
                .append("    strategy: ").append(s.strategy()).append('\n');
        if (s.check() instanceof Scenario.Check.Fault) {
            // a stopped container's address stops answering: give up on it in half a second, take it
            // out at the first failed connect, and let tcp checks (which nginx does not log, so the
            // counts stay the clients') bring it back a second after it returns; requests caught in its
            // listen queue when nginx stops are reset unanswered: send them again to another backend
            yaml.append("""
                        timeouts: {connect: 500ms}
                        retry_on: [connect-failure, empty-response]
                        passive: {failures: 1, cooldown: 5s}
                        health_check: {type: tcp, interval: 500ms, timeout: 250ms, rise: 2, fall: 2}
                    """);
        }
        yaml.append("    endpoints:\n");
        for (Scenario.Endpoint e : s.endpoints()) {
            yaml.append("      - host: ").append(e.backend()).append('\n')
                .append("        port: ").append(e.port()).append('\n');
            // routes without weights leave them out, so the default of 1 is exercised too
            if (s.weighted()) yaml.append("        weight: ").append(e.weight()).append('\n');
        }
        return yaml.toString();
    }
}
