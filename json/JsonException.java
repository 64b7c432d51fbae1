package json;

/** Text that is not JSON, with the 1-based line and column where reading stopped. */
public final class JsonException extends Exception {
    private final int line;
    private final int column;

    public JsonException(int line, int column, String message) {
        super(line + ":" + column + ": " + message, null, false, false);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
