package launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import admin.Probes;
import config.Config;
import config.ConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What can be checked of deploy/ without a cluster or a systemd to run it: the config in the
 * ConfigMap validates, and the Deployment, the Services and the systemd unit agree with it and with
 * featherlb (ports, probe paths, the config's path, the termination grace period, the JVM options).
 */
class DeployManifestsTest {
    private static final Path KUBERNETES = Path.of("deploy/kubernetes");
    private static final Path UNIT = Path.of("deploy/systemd/featherlb.service");

    @Test
    void theConfigInTheConfigMapValidates() throws Exception {
        Config config = ConfigLoader.parse(KUBERNETES.resolve("configmap.yaml#featherlb.yaml"), configText());
        assertTrue(config.shutdownDelay().toSeconds() > 0, "the rolling replacement needs a shutdown_delay");
        assertTrue(config.admin().isPresent(), "the probes need the admin address");
    }

    @Test
    void theDeploymentAgreesWithTheConfigAndTheAdminPaths() throws IOException {
        Map<String, Object> config = yaml(configText());
        Map<String, Object> deployment = manifest("deployment.yaml", "Deployment");
        Map<String, Object> pod = map(map(map(deployment, "spec"), "template"), "spec");
        Map<String, Object> container = list(pod, "containers").getFirst();

        // --config names the file the ConfigMap's key becomes in the mounted volume
        Map<String, Object> configMap = manifest("configmap.yaml", "ConfigMap");
        String volume = list(pod, "volumes").stream()
                .filter(v -> v.containsKey("configMap") && map(v, "configMap").get("name").equals(map(configMap, "metadata").get("name")))
                .map(v -> (String) v.get("name")).findFirst().orElseThrow(() -> new AssertionError("no volume of the ConfigMap"));
        String mountPath = list(container, "volumeMounts").stream().filter(m -> m.get("name").equals(volume))
                .map(m -> (String) m.get("mountPath")).findFirst().orElseThrow(() -> new AssertionError("the ConfigMap is not mounted"));
        String key = map(configMap, "data").keySet().iterator().next();
        @SuppressWarnings("unchecked")
        List<String> args = (List<String>) container.get("args");
        assertEquals(mountPath + "/" + key, args.get(args.indexOf("--config") + 1));

        // the container's ports are the route's and the admin address's
        Map<String, Integer> ports = new java.util.HashMap<>();
        for (Map<String, Object> p : list(container, "ports")) ports.put((String) p.get("name"), (Integer) p.get("containerPort"));
        Map<String, Object> route = list(config, "routes").getFirst();
        assertEquals(route.get("port"), ports.get("lb"));
        String admin = (String) map(config, "admin").get("address");
        assertEquals(Integer.parseInt(admin.substring(admin.lastIndexOf(':') + 1)), ports.get("admin"));
        assertTrue(admin.startsWith("0.0.0.0:") || admin.startsWith("[::]:"), "the kubelet probes the pod's address, not loopback: " + admin);

        // the probes ask the paths featherlb answers, on the admin port
        assertEquals(Probes.READY, map(map(container, "readinessProbe"), "httpGet").get("path"));
        assertEquals(Probes.LIVE, map(map(container, "livenessProbe"), "httpGet").get("path"));
        assertEquals("admin", map(map(container, "readinessProbe"), "httpGet").get("port"));
        assertEquals("admin", map(map(container, "livenessProbe"), "httpGet").get("port"));

        // the kubelet's SIGKILL comes after the delay and the whole drain
        long delay = seconds((String) config.get("shutdown_delay"));
        long grace = seconds((String) config.get("shutdown_grace"));
        int termination = (Integer) pod.get("terminationGracePeriodSeconds");
        assertTrue(termination > delay + grace, termination + "s is not above " + delay + "s + " + grace + "s");

        // the Service in front selects these pods and sends to the featherlb port
        Map<String, Object> front = manifest("service.yaml", "Service");
        assertEquals(map(map(map(deployment, "spec"), "template"), "metadata").get("labels"), map(front, "spec").get("selector"));
        assertTrue(ports.containsKey((String) list(map(front, "spec"), "ports").getFirst().get("targetPort")));
        assertEquals("Local", map(front, "spec").get("externalTrafficPolicy"), "iphash needs the client's own address");
    }

    @Test
    void theHeadlessServiceIsTheNameAndPortTheConfigDiscovers() throws IOException {
        Map<String, Object> discover = null;
        for (Map<String, Object> endpoint : list(list(yaml(configText()), "routes").getFirst(), "endpoints")) {
            if (endpoint.containsKey("discover")) discover = map(endpoint, "discover");
        }
        assertNotNull(discover, "the ConfigMap's route discovers its endpoints");
        Map<String, Object> backend = manifest("backend-service.yaml", "Service");
        assertEquals("None", map(backend, "spec").get("clusterIP"), "headless: DNS answers every pod's address");
        assertEquals(map(backend, "metadata").get("name"), ((String) discover.get("dns")).split("\\.")[0]);
        assertEquals(discover.get("port"), list(map(backend, "spec"), "ports").getFirst().get("targetPort"));
    }

    @Test
    void theKustomizationListsEveryManifest() throws IOException {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> all = Files.list(KUBERNETES)) {
            all.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).forEach(files::add);
        }
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) yaml(Files.readString(KUBERNETES.resolve("kustomization.yaml"))).get("resources");
        assertEquals(files, new TreeSet<>(resources));
    }

    @Test
    void theSystemdUnitReloadsWithSighupRunsAsADynamicUserAndStartsTheJvmAsTheScriptDoes() throws Exception {
        String unit = Files.readString(UNIT);
        assertEquals("kill -HUP $MAINPID", directive(unit, "ExecReload"));
        assertEquals("yes", directive(unit, "DynamicUser"));
        assertTrue(Integer.parseInt(directive(unit, "LimitNOFILE")) >= 65536, "two descriptors per connection");
        assertEquals("2", directive(unit, "RestartPreventExitStatus"), "a bad config is exit 2: no restart loop");
        List<String> start = Arrays.asList(directive(unit, "ExecStart").split("\\s+"));
        List<String> script = Files.readAllLines(Path.of("featherlb.java")).stream()
                .filter(l -> l.startsWith("//RUNTIME_OPTIONS "))
                .flatMap(l -> Arrays.stream(l.substring("//RUNTIME_OPTIONS ".length()).trim().split("\\s+")))
                .toList();
        assertEquals(script, start.subList(1, start.indexOf("-jar")), "the JVM options of //RUNTIME_OPTIONS");
        String config = start.get(start.indexOf("--config") + 1);
        assertTrue(config.startsWith("/etc/" + directive(unit, "ConfigurationDirectory") + "/"), config);
        assertTrue(directive(unit, "ExecStartPre").endsWith("--validate --config " + config));

        // systemd's own reading of the unit, where systemd is installed
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "no systemd-analyze: the rest skipped");
        Process verify = new ProcessBuilder("systemd-analyze", "verify", UNIT.toAbsolutePath().toString()).redirectErrorStream(true).start();
        String said = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(verify.waitFor(30, TimeUnit.SECONDS));
        Assumptions.assumeFalse(said.contains("Failed to") && said.contains("manager"), "systemd-analyze cannot run here: " + said);
        assertEquals(0, verify.exitValue(), said);
        assertTrue(!said.contains(UNIT.getFileName().toString()), "systemd-analyze has a remark on the unit: " + said);
    }

    private static String directive(String unit, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=(.*)$").matcher(unit);
        assertTrue(m.find(), UNIT + " has no " + name + "=");
        return m.group(1).strip();
    }

    private static long seconds(String duration) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(duration == null ? "0s" : duration);
        assertTrue(m.matches(), duration);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> (n + 999) / 1000;
            case "s" -> n;
            case "m" -> n * 60;
            default -> n * 3600;
        };
    }

    private static String configText() throws IOException {
        Map<String, Object> data = map(manifest("configmap.yaml", "ConfigMap"), "data");
        assertEquals(1, data.size(), "one key, the config file");
        return (String) data.values().iterator().next();
    }

    private static Map<String, Object> manifest(String file, String kind) throws IOException {
        Map<String, Object> m = yaml(Files.readString(KUBERNETES.resolve(file)));
        assertEquals(kind, m.get("kind"), file);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String text) {
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertTrue(v instanceof Map, key + " is not a mapping in " + m);
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertTrue(v instanceof List, key + " is not a list in " + m);
        return new ArrayList<>((List<Map<String, Object>>) v);
    }
}
