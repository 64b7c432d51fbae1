package admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The admin API's table of calls: a method, a path pattern with {@code {name}} segments, and the
 * handler. Other parts of featherlb add their calls here (such as {@code POST /api/v1/reload}); a
 * call can be added while the server runs.
 */
public final class Router {
    private record Entry(String method, String[] pattern, ApiHandler handler) {
    }

    /** What a path found: the handler and its parameters, or the methods the path does allow. */
    sealed interface Found {
        record Call(ApiHandler handler, Map<String, String> params) implements Found {
        }

        record WrongMethod(Set<String> allowed) implements Found {
        }

        record Nothing() implements Found {
        }
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    /** Adds a call; {@code pattern} is a path such as {@code /api/v1/routes/{route}}. */
    public Router add(String method, String pattern, ApiHandler handler) {
        entries.add(new Entry(method, segments(pattern), handler));
        return this;
    }

    Found find(String method, List<String> path) {
        Set<String> allowed = new TreeSet<>();
        for (Entry entry : entries) {
            Map<String, String> params = match(entry.pattern, path);
            if (params == null) continue;
            if (entry.method.equals(method)) return new Found.Call(entry.handler, params);
            allowed.add(entry.method);
        }
        return allowed.isEmpty() ? new Found.Nothing() : new Found.WrongMethod(allowed);
    }

    private static Map<String, String> match(String[] pattern, List<String> path) {
        if (pattern.length != path.size()) return null;
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                params.put(p.substring(1, p.length() - 1), path.get(i));
            } else if (!p.equals(path.get(i))) {
                return null;
            }
        }
        return params;
    }

    private static String[] segments(String pattern) {
        List<String> parts = new ArrayList<>();
        for (String part : pattern.split("/")) {
            if (!part.isEmpty()) parts.add(part);
        }
        return parts.toArray(String[]::new);
    }
}
