package config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/** The problems found while reading one file, each with its 1-based position. */
final class Problems {
    private final String file;
    private final List<ConfigError> errors = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void at(Node node, String message) {
        at(node.getStartMark(), message);
    }

    void at(Mark mark, String message) {
        if (mark == null) errors.add(new ConfigError(file, 0, 0, message));
        else errors.add(new ConfigError(file, mark.getLine() + 1, mark.getColumn() + 1, message));
    }

    /** A problem at a 1-based position that no node has (the file is refused before snakeyaml reads it). */
    void at(int line, int column, String message) {
        errors.add(new ConfigError(file, line, column, message));
    }

    /** A problem of the whole file, shown at its first line. */
    void atStart(String message) {
        errors.add(new ConfigError(file, 1, 1, message));
    }

    boolean any() {
        return !errors.isEmpty();
    }

    /** In file order, so a user fixes them top to bottom. */
    List<ConfigError> sorted() {
        return errors.stream()
                .sorted(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column))
                .toList();
    }
}
