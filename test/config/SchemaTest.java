package config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Keeps featherlb.schema.json and the loader in step, both ways, without a list of keys of its own
 * that could drift: the keys the loader accepts are the keys it asks {@link Section} for (its
 * {@link Section#ASKED} hook), the keys the schema knows are its {@code properties}. A config that
 * exercises every section is built from the schema itself, so a section added to both is
 * exercised at once. Adding a key to the loader means adding it to the schema: until then
 * {@link #theLoaderAndTheSchemaKnowTheSameKeys} names it. Keys are written as paths such as
 * {@code /routes/* /endpoints/* /weight} (without the spaces), {@code *} for any item of a list.
 */
class SchemaTest {
    static final Path SCHEMA_FILE = Path.of("featherlb.schema.json");
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNode SCHEMA_TREE = MAPPER.readTree(read(SCHEMA_FILE));
    static final Schema SCHEMA = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(SCHEMA_TREE);

    /** Optional scalar keys without a {@code default} in the schema, and why none can be written. */
    static final Map<String, String> NO_DEFAULT = Map.ofEntries(
            Map.entry("/routes/*/name", "host:port of the listener"),
            Map.entry("/routes/*/slow_start", "off (zero) is not a duration one can write"),
            Map.entry("/routes/*/health_check/send", "nothing, which is not a value one can write"),
            Map.entry("/routes/*/health_check/expect", "required for send_expect, else unused"),
            Map.entry("/routes/*/health_check/port", "the endpoint's own port"),
            Map.entry("/routes/*/health_check/send_hex", "nothing, which is not a value one can write"),
            Map.entry("/routes/*/health_check/expect_hex", "required for send_expect unless expect says it"),
            Map.entry("/routes/*/udp/responses", "unlimited, which is not a number one can write"),
            Map.entry("/routes/*/endpoints/*/health_check/*", "the route's"),
            Map.entry("/routes/*/endpoints/*/send_proxy", "the route's"),
            Map.entry("/routes/*/discovery/nameserver", "the system's resolvers, from /etc/resolv.conf"),
            Map.entry("/routes/*/endpoints/*/discover/*", "dns with its port, or srv: the item says which"),
            Map.entry("/admin/token_file", "no token"),
            Map.entry("/routes/*/per_client/max_rate", "unlimited, which is not a rate one can write"),
            Map.entry("/max_connections", "derived from the file-descriptor limit of the machine it runs on"));

    /**
     * What makes the route of the exercise a UDP one (a key starting with / is a path from the top;
     * {@link #NONE} takes the key out): send_expect checks, and none of the keys of TCP alone.
     */
    static final Object NONE = new Object();
    static final Map<String, Object> UDP_ROUTE = Map.of(
            "/routes/*/protocol", "udp",
            "/routes/*/health_check", Map.of("type", "send_expect", "send_hex", "00", "expect_hex", "00"),
            "/routes/*/accept_proxy", NONE);

    /** Keys whose meaning depends on another key, set beside them when they are tried. */
    static final Map<String, Map<String, Object>> CONTEXT = Map.of(
            "/routes/*/health_check/path", Map.of("type", "http"),
            "/routes/*/udp/idle", UDP_ROUTE,
            "/routes/*/udp/responses", UDP_ROUTE,
            "/routes/*/udp/max_sessions", UDP_ROUTE,
            "/routes/*/udp/reuse_sockets", UDP_ROUTE);

    /** Keys the range and enum probes skip, and why. */
    static final Map<String, String> UNPROBED = Map.of(
            "/routes/*/endpoints/*/health_check/type", "whether send_expect needs an expect depends on the route's check");

    /** Invalid golden configs (X.yaml with X.txt) whose mistake only the loader can see, and why. */
    static final Map<String, String> LOADER_ONLY = Map.ofEntries(
            Map.entry("duplicate-endpoint", "one endpoint twice: JSON Schema compares items whole, not by host and port"),
            Map.entry("duplicate-listen", "two routes on one address: a rule across items"),
            Map.entry("sni-other-host", "two routes on one port, one host a wildcard: a rule across items"),
            Map.entry("accept-proxy-mistakes", "accept_proxy that differs between the routes of an address: a rule across items"),
            Map.entry("sni-table-mistakes", "a server name twice, two defaults, a name missing, sni_timeouts that differ: rules across the routes of an address"),
            Map.entry("duplicate-key", "a key twice is a YAML matter; the reader keeps the last"),
            Map.entry("yaml-syntax", "not YAML, so nothing to validate"),
            Map.entry("alias-limit", "the reader's own bound on aliases: no document to validate"),
            Map.entry("nesting-depth", "the reader's own bound on nesting: no document to validate"),
            Map.entry("control-character", "not readable as YAML: no document to validate"),
            Map.entry("invalid-utf8", "not text: no document to validate"),
            Map.entry("admin-address", "an address that does not parse ([::1): the loader parses it"),
            Map.entry("duration-too-long", "the one-year bound on a duration string: the loader computes it"),
            Map.entry("health-path-control", "a control character inside a path: the loader looks at each character"),
            Map.entry("nul-in-path", "a NUL inside a file path: the loader asks the file system"),
            Map.entry("port-not-decimal", "0x5460 is an integer to YAML 1.1; the loader wants it written in decimal"));

    /** Of those, the ones a YAML reader refuses outright: there is no document to hand the schema. */
    private static final java.util.Set<String> NOT_A_DOCUMENT = java.util.Set.of("yaml-syntax", "alias-limit", "nesting-depth",
            "control-character", "invalid-utf8");

    // --- keys both ways ---

    @Test
    void theLoaderAndTheSchemaKnowTheSameKeys() throws Exception {
        Set<String> asked = new TreeSet<>();
        String text = MAPPER.writeValueAsString(exercise());
        Map<String, String> paths = paths(new Yaml().compose(new java.io.StringReader(text)));
        Section.ASKED.set((mapping, key) -> asked.add(paths.get(mark(mapping)) + "/" + key));
        try {
            ConfigLoader.parse(Path.of("exercise.yaml"), text);
        } finally {
            Section.ASKED.remove();
        }
        Set<String> inSchema = new TreeSet<>(properties().keySet());
        Set<String> onlyLoader = new TreeSet<>(asked);
        onlyLoader.removeAll(inSchema);
        Set<String> onlySchema = new TreeSet<>(inSchema);
        onlySchema.removeAll(asked);
        assertEquals(Map.of("accepted by the loader, missing in featherlb.schema.json", Set.of(),
                        "in featherlb.schema.json, unknown to the loader", Set.of()),
                Map.of("accepted by the loader, missing in featherlb.schema.json", onlyLoader,
                        "in featherlb.schema.json, unknown to the loader", onlySchema));
    }

    @Test
    void everyMappingIsClosedAndEveryKeyDescribed() {
        properties().forEach((path, property) -> assertTrue(property.has("description") || resolve(property).has("description"),
                path + " has no description"));
        walkObjects(SCHEMA_TREE, "", (path, object) -> assertEquals(false, object.path("additionalProperties").asBoolean(true),
                path + " should say additionalProperties: false (the loader rejects unknown keys everywhere)"));
    }

    // --- defaults ---

    /** A {@code default} in the schema means the same as leaving the key out. */
    @Test
    void everyDefaultMeansWhatLeavingTheKeyOutMeans() throws Exception {
        Config absent = load(exercise());
        List<String> checked = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : properties().entrySet()) {
            String path = e.getKey();
            JsonNode property = e.getValue();
            if (!scalar(property) || required(path)) continue;
            if (!property.has("default")) {
                    if (!NO_DEFAULT.containsKey(path) && !NO_DEFAULT.containsKey(parent(path) + "/*")) {
                    wrong.add(path + " has no default in featherlb.schema.json (add one, or say in NO_DEFAULT why there is none)");
                }
                continue;
            }
            Object value = MAPPER.convertValue(property.get("default"), Object.class);
            Map<String, Object> without = exercise();
            Map<String, Object> with = exercise();
            context(without, path);
            context(with, path);
            put(with, path, value);
            if (!load(without).equals(load(with))) wrong.add(path + ": default " + value + " is not what the loader takes when the key is absent");
            checked.add(path);
        }
        assertEquals(List.of(), wrong);
        assertTrue(checked.size() >= 20, "only " + checked + " checked");
        assertEquals(absent, load(exercise()));
    }

    // --- types, ranges, enums ---

    /**
     * The loader and the schema agree on the edges of every range, every enum value and a value
     * outside it, durations and booleans: the probes come from what the schema claims.
     */
    @Test
    void theLoaderAndTheSchemaAcceptTheSameValues() throws Exception {
        Map<String, List<String>> disagreements = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : properties().entrySet()) {
            String path = e.getKey();
            if (UNPROBED.containsKey(path)) continue;
            for (Object probe : probes(e.getValue())) {
                Map<String, Object> config = exercise();
                context(config, path);
                put(config, path, probe);
                String loader;
                try {
                    load(config);
                    loader = "accepted";
                } catch (ConfigException rejected) {
                    loader = rejected.errors().getFirst().message();
                }
                List<Error> errors = SCHEMA.validate(MAPPER.valueToTree(config));
                if (loader.equals("accepted") != errors.isEmpty()) {
                    disagreements.computeIfAbsent(path, p -> new ArrayList<>())
                            .add(probe + ": loader " + loader + ", schema " + (errors.isEmpty() ? "accepted" : errors));
                }
            }
        }
        assertEquals(Map.of(), disagreements);
    }

    @Test
    void theStrategiesAreTheLoaders() {
        List<String> names = new ArrayList<>();
        for (algorithms.Strategy s : algorithms.Strategy.values()) names.addAll(s.names());
        List<String> inSchema = new ArrayList<>();
        properties().get("/routes/*/strategy").get("enum").values().forEach(v -> inSchema.add(v.asString()));
        assertEquals(names, inSchema);
    }

    private static List<Object> probes(JsonNode property) {
        JsonNode p = resolve(property);
        List<Object> probes = new ArrayList<>();
        if (p.has("enum")) {
            p.get("enum").values().forEach(v -> probes.add(MAPPER.convertValue(v, Object.class)));
            probes.add("no-such-value");
        }
        if (p.has("minimum")) probes.addAll(List.of(p.get("minimum").asLong() - 1, p.get("minimum").asLong()));
        if (p.has("maximum")) probes.addAll(List.of(p.get("maximum").asLong(), p.get("maximum").asLong() + 1));
        if (p.has("minimum") || p.has("maximum")) probes.add(1.5);
        if (isDuration(property)) probes.addAll(List.of("1s", "1500ms", "0s", "5x", "1234567890s"));
        if (p.path("type").asString("").equals("boolean")) probes.addAll(List.of(true, false, "maybe"));
        return probes;
    }

    // --- examples ---

    static Stream<Path> validGolden() throws IOException {
        try (Stream<Path> files = Files.list(ConfigLoaderTest.GOLDEN)) {
            return files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !Files.exists(Path.of(p.toString().replaceAll("\\.yaml$", ".txt"))))
                    .sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validGolden")
    void theValidGoldenConfigsValidate(Path file) throws Exception {
        ConfigLoader.load(file);
        assertValid(file.toString(), read(file));
    }

    @Test
    void theShippedConfigValidatesAndNamesTheSchema() throws Exception {
        String text = read(Path.of("featherlb.yaml"));
        assertEquals("# yaml-language-server: $schema=./featherlb.schema.json", text.lines().findFirst().orElseThrow());
        assertValid("featherlb.yaml", text);
    }

    /** The file featherlb demo writes is a config like any other, so an editor opening it checks it the same way. */
    @Test
    void theDemosConfigValidates() throws Exception {
        try (demo.Demo running = demo.Demo.start(0, 0)) {
            assertValid("featherlb demo's " + running.configFile(), read(running.configFile()));
        }
    }

    /** Every YAML block in README.md and docs/*.md that is a featherlb config (has a top-level routes:). */
    @Test
    void theConfigsInTheDocsValidate() throws Exception {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
        if (Files.isDirectory(Path.of("docs"))) {
            try (Stream<Path> files = Files.list(Path.of("docs"))) {
                files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
            }
        }
        Pattern block = Pattern.compile("^```ya?ml\\n(.*?)^```", Pattern.MULTILINE | Pattern.DOTALL);
        int configs = 0;
        for (Path doc : docs) {
            String text = read(doc);
            Matcher m = block.matcher(text);
            while (m.find()) {
                String yaml = m.group(1);
                if (!Pattern.compile("^routes:", Pattern.MULTILINE).matcher(yaml).find()) continue;
                int line = (int) text.substring(0, m.start()).lines().count() + 2;
                ConfigLoader.parse(Path.of(doc + ":" + line), yaml);
                assertValid(doc + " block at line " + line, yaml);
                configs++;
            }
        }
        assertTrue(configs >= 2, "only " + configs + " config blocks found in " + docs);
    }

    static Stream<String> invalidGolden() throws IOException {
        return ConfigLoaderTest.broken().filter(name -> !LOADER_ONLY.containsKey(name));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidGolden")
    void theInvalidGoldenConfigsAreRejectedByTheSchemaToo(String name) throws Exception {
        String text = read(ConfigLoaderTest.GOLDEN.resolve(name + ".yaml"));
        assertFalse(SCHEMA.validate(yaml11(text)).isEmpty(), name + ".yaml passes the schema");
    }

    /** An exemption stays only as long as it is needed. */
    @Test
    void theLoaderOnlyMistakesPassTheSchema() throws Exception {
        for (String name : LOADER_ONLY.keySet()) {
            if (NOT_A_DOCUMENT.contains(name)) continue; // nothing to validate
            String text = read(ConfigLoaderTest.GOLDEN.resolve(name + ".yaml"));
            assertEquals(List.of(), SCHEMA.validate(yaml11(text)), name + ".yaml: the schema rejects it; take it out of LOADER_ONLY");
        }
    }

    /**
     * Valid both as featherlb's loader reads YAML (1.1: a bare {@code off} is false) and as editors'
     * yaml-language-server does (1.2: it is the text "off").
     */
    private static void assertValid(String what, String yaml) {
        assertEquals(List.of(), SCHEMA.validate(yaml11(yaml)), what + " read as YAML 1.1");
        assertEquals(List.of(), SCHEMA.validate(yaml, InputFormat.YAML), what + " read as YAML 1.2");
    }

    private static JsonNode yaml11(String yaml) {
        return MAPPER.valueToTree(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
    }

    // --- the schema as a tree of keys ---

    /** Every key of the schema, by path, with its (unresolved) schema. */
    static Map<String, JsonNode> properties() {
        Map<String, JsonNode> out = new TreeMap<>();
        collect(SCHEMA_TREE, "", out);
        return out;
    }

    private static void collect(JsonNode schema, String path, Map<String, JsonNode> out) {
        for (JsonNode part : parts(schema)) {
            for (Map.Entry<String, JsonNode> e : part.path("properties").properties()) {
                String child = path + "/" + e.getKey();
                out.putIfAbsent(child, e.getValue());
                collect(e.getValue(), child, out);
            }
            if (part.has("items")) collect(part.get("items"), path + "/*", out);
        }
    }

    private static void walkObjects(JsonNode schema, String path, java.util.function.BiConsumer<String, JsonNode> visit) {
        for (JsonNode part : parts(schema)) {
            if (part.has("properties")) visit.accept(path, part);
            for (Map.Entry<String, JsonNode> e : part.path("properties").properties()) walkObjects(e.getValue(), path + "/" + e.getKey(), visit);
            if (part.has("items")) walkObjects(part.get("items"), path + "/*", visit);
        }
    }

    /** {@code schema} resolved, with the members of its allOf and anyOf, each resolved. */
    private static List<JsonNode> parts(JsonNode schema) {
        JsonNode s = resolve(schema);
        List<JsonNode> parts = new ArrayList<>(List.of(s));
        for (String combinator : List.of("allOf", "anyOf")) {
            s.path(combinator).values().forEach(member -> parts.add(resolve(member)));
        }
        return parts;
    }

    /** Follows {@code $ref}, and a lone {@code $ref} inside {@code allOf} (how draft-07 adds a description to a reference). */
    private static JsonNode resolve(JsonNode schema) {
        if (schema.has("$ref")) return resolve(SCHEMA_TREE.at(schema.get("$ref").asString().substring(1)));
        if (schema.path("allOf").size() == 1 && !schema.has("properties")) {
            JsonNode only = schema.get("allOf").get(0);
            if (only.has("$ref")) {
                JsonNode target = resolve(only);
                if (!target.has("properties")) return target;
            }
        }
        return schema;
    }

    private static boolean isDuration(JsonNode property) {
        JsonNode resolved = resolve(property);
        return resolved == SCHEMA_TREE.at("/definitions/duration") || resolved == SCHEMA_TREE.at("/definitions/durationOrZero");
    }

    private static boolean scalar(JsonNode property) {
        for (JsonNode part : parts(property)) {
            if (part.has("properties") || part.has("items")) return false;
        }
        return true;
    }

    private static boolean required(String path) {
        String key = path.substring(path.lastIndexOf('/') + 1);
        for (JsonNode part : parts(objectAt(parent(path)))) {
            for (JsonNode r : part.path("required").values()) if (r.asString().equals(key)) return true;
        }
        return false;
    }

    /** The object schema at {@code path}, "" for the top. */
    private static JsonNode objectAt(String path) {
        if (path.isEmpty()) return SCHEMA_TREE;
        String parent = parent(path);
        String key = path.substring(path.lastIndexOf('/') + 1);
        for (JsonNode part : parts(objectAt(parent))) {
            if (key.equals("*") && part.has("items")) return part.get("items");
            if (part.path("properties").has(key)) return part.get("properties").get(key);
        }
        throw new AssertionError("no schema at " + path);
    }

    // --- a config that exercises every section ---

    /**
     * The smallest config the schema allows, with every optional mapping present and empty: the
     * loader then asks for every key it knows. Built from the schema so that a new section is in it.
     */
    static Map<String, Object> exercise() {
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) sample(SCHEMA_TREE, "");
        return config;
    }

    private static Object sample(JsonNode schema, String path) {
        JsonNode s = resolve(schema);
        // a mapping whose keys depend on each other (discover: dns with port, or srv) is sampled by its first example
        if (s.has("examples")) return MAPPER.convertValue(s.get("examples").get(0), Object.class);
        if (s.has("properties")) {
            Map<String, Object> map = new LinkedHashMap<>();
            Set<String> required = new TreeSet<>();
            s.path("required").values().forEach(r -> required.add(r.asString()));
            for (Map.Entry<String, JsonNode> e : s.get("properties").properties()) {
                JsonNode p = resolve(e.getValue());
                boolean container = p.has("properties") || p.has("items");
                if (container || required.contains(e.getKey())) map.put(e.getKey(), sample(e.getValue(), path + "/" + e.getKey()));
            }
            return map;
        }
        if (s.has("items")) {
            JsonNode items = resolve(s.get("items"));
            List<Object> list = new ArrayList<>();
            // items of several kinds (an endpoint listed, or a discover item): one of each
            if (items.has("anyOf") && !items.has("properties")) items.get("anyOf").values().forEach(kind -> list.add(sample(kind, path + "/*")));
            else list.add(sample(items, path + "/*"));
            return list;
        }
        if (s.has("minimum")) return s.get("minimum").asLong();
        return "x";
    }

    /** Sets the {@link #CONTEXT} of {@code path} in {@code config}. */
    private static void context(Map<String, Object> config, String path) {
        CONTEXT.getOrDefault(path, Map.of()).forEach((k, v) -> put(config, k.startsWith("/") ? k : parent(path) + "/" + k, v));
    }

    /** Sets {@code path} in {@code config} ({@link #NONE}: removes it), in every item where the path says {@code *}. */
    @SuppressWarnings("unchecked")
    private static void put(Object at, String path, Object value) {
        int slash = path.indexOf('/', 1);
        String key = path.substring(1, slash < 0 ? path.length() : slash);
        if (slash < 0 && value == NONE) {
            ((Map<String, Object>) at).remove(key);
        } else if (slash < 0) {
            ((Map<String, Object>) at).put(key, value);
        } else if (key.equals("*")) {
            for (Object item : (List<Object>) at) put(item, path.substring(slash), value);
        } else if (((Map<String, Object>) at).get(key) != null) { // an item of another kind (a listed endpoint has no discover:) has not the key
            put(((Map<String, Object>) at).get(key), path.substring(slash), value);
        }
    }

    private static Config load(Map<String, Object> config) throws ConfigException {
        return ConfigLoader.parse(Path.of("exercise.yaml"), MAPPER.writeValueAsString(config)); // JSON is YAML
    }

    /** The path of every mapping in a YAML tree, by its position. */
    private static Map<String, String> paths(Node root) {
        Map<String, String> paths = new HashMap<>();
        paths(root, "", paths);
        return paths;
    }

    private static void paths(Node node, String path, Map<String, String> out) {
        if (node instanceof MappingNode mapping) {
            out.put(mark(mapping), path);
            for (NodeTuple t : mapping.getValue()) {
                paths(t.getValueNode(), path + "/" + ((ScalarNode) t.getKeyNode()).getValue(), out);
            }
        } else if (node instanceof SequenceNode sequence) {
            for (Node item : sequence.getValue()) paths(item, path + "/*", out);
        }
    }

    private static String mark(Node node) {
        return node.getStartMark().getLine() + ":" + node.getStartMark().getColumn();
    }

    private static String parent(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
