package config;

import java.io.StringReader;
import java.util.HashSet;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;

/**
 * Where a file goes over snakeyaml's nesting or alias limit. The composer enforces both but says
 * only "Nesting Depth exceeded max 50", without a mark; its parser's events carry marks, so a
 * second pass over the events finds the collection or alias that went over, for file:line:column.
 * Only run after the composer refused the file, so the pass costs nothing for a valid one.
 */
final class YamlLimits {
    private YamlLimits() {
    }

    record Exceeded(Mark mark, String message) {
    }

    /** The place where {@code text} goes over a limit of {@code options}, or null when it does not. */
    static Exceeded find(String text, LoaderOptions options) {
        int depth = 0;
        int aliases = 0;
        Set<String> collectionAnchors = new HashSet<>();
        try {
            for (Event event : new Yaml(options).parse(new StringReader(text))) {
                switch (event) {
                    case CollectionStartEvent start -> {
                        if (start.getAnchor() != null) collectionAnchors.add(start.getAnchor());
                        if (++depth > options.getNestingDepthLimit()) {
                            return new Exceeded(start.getStartMark(), "nesting deeper than " + options.getNestingDepthLimit()
                                    + " levels (expected a config nested at most " + options.getNestingDepthLimit() + " deep)");
                        }
                    }
                    case CollectionEndEvent ignored -> depth--;
                    case AliasEvent alias when collectionAnchors.contains(alias.getAnchor()) -> {
                        if (++aliases > options.getMaxAliasesForCollections()) {
                            return new Exceeded(alias.getStartMark(), "more than " + options.getMaxAliasesForCollections()
                                    + " aliases of lists or mappings (expected at most " + options.getMaxAliasesForCollections() + " such aliases)");
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (YAMLException other) {
            return null; // not a limit of ours: the composer's own message is the one to show
        }
        return null;
    }
}
