package config;

/**
 * Which engine carries a connection's bytes once it is forwarding ({@code engine:} at the top of
 * the config, {@code --engine} on the command line). Chosen at start; a reload cannot change it.
 */
public enum Engine {
    /** Selector event loops on platform threads: the default, and the measured cheaper one. */
    LOOPS("loops"),
    /** A virtual thread per direction with blocking reads and writes: the simplest code to read. */
    VIRTUAL_THREADS("virtual-threads");

    /** The words the config and {@code --engine} accept. */
    public static final String EXPECTED = "loops or virtual-threads";

    private final String configName;

    Engine(String configName) {
        this.configName = configName;
    }

    /** The word in the config, on the command line and in logs. */
    public String configName() {
        return configName;
    }

    /** The engine the config calls {@code name}, or null. */
    public static Engine byName(String name) {
        for (Engine e : values()) {
            if (e.configName.equals(name)) return e;
        }
        return null;
    }
}
