package config;

/**
 * One problem in a config file, printed as {@code file:line:column: message}.
 * Line and column are 1-based; 0 means the problem has no position (the file cannot be read).
 */
public record ConfigError(String file, int line, int column, String message) {
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message;
    }
}
