package e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A scenario that sets up its own peers in the running stack and judges its own outcome, beside the
 * catalogue's load scenarios ({@link Scenarios}): its routes go into the run's featherlb config, and
 * the runner calls {@link #run} after the catalogue's scenarios, on its own thread.
 */
interface OwnScenario {
    Duration QUICK = Duration.ofSeconds(30);

    /** The scenario as the run log shows it; its check is a {@link Scenario.Check.Own} with the YAML of its routes. */
    Scenario scenario();

    /** Sets up its peers, loads its routes and judges what the backends logged. */
    ScenarioResult run(Stack stack);

    /** Compose services of its own (profile {@code extra}) that the runner starts with the stack; none by default. */
    default List<String> services() {
        return List.of();
    }

    /** Those that fit a stack of {@code backends} backends, in the order they run. */
    static List<OwnScenario> all(int backends) {
        List<OwnScenario> all = new ArrayList<>();
        all.add(new ClientAddresses(Math.min(3, backends)));
        if (backends >= 3) all.add(new SniRouting());
        all.add(new UdpDns());
        return List.copyOf(all);
    }

    /**
     * The running stack, as a scenario of its own needs it.
     *
     * @param containers compose service -> container id
     * @param addresses  client service -> its container address
     */
    record Stack(Docker docker, Map<String, String> containers, Map<String, String> addresses, Options options, Progress progress,
                 String prefix) {

        /** Runs {@code script} with {@code sh -c} in {@code service}'s container ({@code args} are its $1, $2, ...); fails with {@code what}. */
        Exec.Output shell(String service, String what, String script, String... args) {
            List<String> command = new ArrayList<>(List.of("exec", containers.get(service), "sh", "-c", script, "sh"));
            command.addAll(List.of(args));
            Exec.Output out = docker.docker(QUICK, command.toArray(String[]::new));
            if (!out.ok()) throw new E2eException(what + " in " + service + " failed (exit " + out.exit() + "): " + out.tail());
            return out;
        }

        /**
         * Starts a second nginx in {@code service}'s container with {@code config} (written to
         * /tmp/{@code name}.conf), beside the one compose started; it daemonizes, so this returns.
         */
        void nginx(String service, String name, String config) {
            shell(service, "starting nginx " + name, "printf '%s' \"$1\" > /tmp/" + name + ".conf && nginx -c /tmp/" + name + ".conf", config);
        }

        /** The address of featherlb's container on the stack's network. */
        String featherlb() {
            return docker.address(containers.get("featherlb"));
        }

        /** Reads {@code path} in {@code service}'s container. */
        String read(String service, String path) {
            return shell(service, "reading " + path, "cat \"$1\"", path).out();
        }

        void line(String text) {
            progress.line(prefix + text);
        }
    }
}
