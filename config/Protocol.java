package config;

/** What a route's listener speaks ({@code protocol:}). */
public enum Protocol {
    TCP("tcp"),
    /** Datagrams, in sessions of one client address:port each (see {@link Udp}). */
    UDP("udp");

    private final String configName;

    Protocol(String configName) {
        this.configName = configName;
    }

    /** The word in the config, in logs and in listener keys. */
    public String configName() {
        return configName;
    }

    /** The protocol the config calls {@code name}, or null. */
    public static Protocol byName(String name) {
        for (Protocol p : values()) {
            if (p.configName.equals(name)) return p;
        }
        return null;
    }
}
