package config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Where a line per finished connection goes, and in which format.
 *
 * @param target {@code access_log}: OFF (the default), STDOUT, or FILE
 * @param file   the file for FILE (appended to; relative to the working directory), else null
 * @param format {@code access_log_format}: TEXT (the default, logfmt) or JSON (one object a line)
 */
public record AccessLog(Target target, Path file, Format format) {
    public static final AccessLog OFF = new AccessLog(Target.OFF, null, Format.TEXT);

    public enum Target { OFF, STDOUT, FILE }

    public enum Format { TEXT, JSON }

    /** The top-level {@code access_log} and {@code access_log_format} keys. */
    static AccessLog read(Problems problems, Section top) {
        Node value = top.value("access_log");
        String formatName = top.string("access_log_format", "text", "text or json");
        Format format = switch (formatName.toLowerCase(Locale.ROOT)) {
            case "text" -> Format.TEXT;
            case "json" -> Format.JSON;
            default -> {
                problems.at(top.value("access_log_format"), "unknown access_log_format '" + formatName + "' (expected text or json)");
                yield Format.TEXT;
            }
        };
        if (value == null) return new AccessLog(Target.OFF, null, format);
        // YAML 1.1 reads a bare off (or no, false) as a boolean: that is the "off" the user meant
        if (value instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
            if (!List.of("off", "no", "false").contains(scalar.getValue().toLowerCase(Locale.ROOT))) {
                problems.at(value, "access_log is '" + scalar.getValue() + "' (expected off, stdout or a file path)");
            }
            return new AccessLog(Target.OFF, null, format);
        }
        String target = top.string("access_log", "off", "off, stdout or a file path");
        if (target.equalsIgnoreCase("off")) return new AccessLog(Target.OFF, null, format);
        if (target.equals("stdout")) return new AccessLog(Target.STDOUT, null, format);
        Path file = top.path("access_log", target, "off, stdout or a file path");
        if (file == null) return new AccessLog(Target.OFF, null, format); // reported; the config is refused
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            problems.at(value, "access_log " + target + " is in a folder that does not exist (expected off, stdout or a file in an existing folder)");
        }
        return new AccessLog(Target.FILE, file, format);
    }
}
