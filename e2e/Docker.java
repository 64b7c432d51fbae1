package e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Docker engine and the compose project of the e2e stack. Works with the compose plugin
 * ({@code docker compose}) and with the standalone v1 {@code docker-compose}, whichever answers first.
 * Container-level steps (exec, stop, start) use plain {@code docker} with container ids: it starts
 * faster than compose v1 and takes the same arguments everywhere.
 */
final class Docker {
    /** Compose project name: containers are featherlb-e2e-backend1-1 (or featherlb-e2e_backend1_1 with v1). */
    static final String PROJECT = "featherlb-e2e";
    private static final Duration QUICK = Duration.ofSeconds(30);

    private final List<String> compose;
    private final String composeVersion;
    private final Path repo;
    private final Map<String, String> env;

    private Docker(List<String> compose, String composeVersion, Path repo, Map<String, String> env) {
        this.compose = compose;
        this.composeVersion = composeVersion;
        this.repo = repo;
        this.env = env;
    }

    /**
     * Checks that an engine answers and finds compose.
     *
     * @param env variables for compose.yaml (FEATHERLB_CONFIG, COMPOSE_PROFILES), added to this process's
     */
    static Docker connect(Path repo, Map<String, String> env) {
        Exec.Output info;
        try {
            info = Exec.run(List.of("docker", "info", "--format", "{{.ServerVersion}}"), repo, env, QUICK);
        } catch (E2eException e) {
            throw new E2eException("docker is not installed or does not answer (" + e.getMessage() + "); install Docker");
        }
        if (!info.ok() || info.out().isBlank()) {
            throw new E2eException("""
                    no Docker engine answers (docker info: %s).
                    Start one (systemctl start docker, or dockerd &); on a machine without a container registry run
                    eval "$(../shared/offline-images.sh)" first, which also starts one.""".formatted(info.tail().lines().findFirst().orElse("")));
        }
        for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
            try {
                Exec.Output version = Exec.run(concat(candidate, "version", "--short"), repo, env, QUICK);
                if (version.ok()) return new Docker(candidate, version.out().strip(), repo, env);
            } catch (E2eException notInstalled) {
                // try the next one
            }
        }
        throw new E2eException("neither 'docker compose' nor 'docker-compose' works; install the Docker Compose plugin or docker-compose");
    }

    /** "docker compose 2.29.1" or "docker-compose 1.29.2". */
    String composeName() {
        return String.join(" ", compose) + " " + composeVersion;
    }

    /** The compose command line of this project, for a person to type: "docker compose -p featherlb-e2e -f compose.yaml". */
    String composeCommand() {
        return String.join(" ", compose) + " -p " + PROJECT + " -f " + repo.resolve("compose.yaml");
    }

    /** Runs a compose command on compose.yaml in project {@value #PROJECT}. */
    Exec.Output compose(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-p", PROJECT, "-f", repo.resolve("compose.yaml").toString()));
        command.addAll(List.of(args));
        return Exec.run(command, repo, env, timeout);
    }

    /** A compose command of another project and file (a scenario with a stack of its own), with {@code extra} variables. */
    Exec.Output composeProject(String project, Path file, Map<String, String> extra, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-p", project, "-f", file.toString()));
        command.addAll(List.of(args));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putAll(extra);
        return Exec.run(command, repo, all, timeout);
    }

    /** Like {@link #compose}, and fails with {@code what} and the command's last lines unless it exits 0. */
    Exec.Output composeOrFail(String what, Duration timeout, String... args) {
        Exec.Output output = compose(timeout, args);
        if (!output.ok()) {
            String hint = output.tail().contains("registry") || output.tail().contains("pull")
                    ? "\nNo container registry reachable? Point FEATHERLB_JAVA_IMAGE, FEATHERLB_NGINX_IMAGE, FEATHERLB_WRK_IMAGE and FEATHERLB_TOOLS_IMAGE"
                      + "\nat local images, e.g. with: eval \"$(../shared/offline-images.sh)\""
                    : "";
            throw new E2eException(what + " failed:\n" + output.tail() + hint);
        }
        return output;
    }

    /** The container id of a compose service, or "" when it has none. */
    String containerId(String service) {
        return compose(QUICK, "ps", "-q", service).out().strip();
    }

    /** Runs a plain docker command to its end. */
    Exec.Output docker(Duration timeout, String... args) {
        return Exec.run(concat(List.of("docker"), args), repo, env, timeout);
    }

    /** Starts {@code command} in a running container and returns at once. */
    Exec exec(String container, List<String> command) {
        return Exec.start(Stream.concat(Stream.of("docker", "exec", container), command.stream()).toList(), repo, env);
    }

    /** The container's address on the compose network. */
    String address(String container) {
        return docker(QUICK, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container).out().strip();
    }

    boolean running(String container) {
        return docker(QUICK, "inspect", "-f", "{{.State.Running}}", container).out().strip().equals("true");
    }

    private static List<String> concat(List<String> head, String... tail) {
        return Stream.concat(head.stream(), Stream.of(tail)).toList();
    }
}
