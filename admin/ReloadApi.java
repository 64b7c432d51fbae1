package admin;

import config.ConfigError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import reload.ReloadResult;

/**
 * {@code POST /api/v1/reload}: reloads the config file like SIGHUP does, and says how it went.
 * 200 with the changes when the file was applied; 400 with every problem (file, line, column,
 * message) when it was not, in which case featherlb keeps running on the config it had.
 *
 * <p>{@code POST /api/v1/reload?dry_run=true}: what a reload would change, applying nothing. The
 * body, when there is one, is the config to compare (YAML, as {@code featherlb diff} sends it);
 * without one, the config file as a reload would read it. 200 with the changes, or 400 with
 * every problem. Both answers carry the same account of the changes ({@code proxy.ConfigDiff}).
 */
public final class ReloadApi {
    private final Supplier<ReloadResult> reload;
    private final Function<String, ReloadResult> dryRun;

    /**
     * @param reload reloads and reports; called on the request's virtual thread
     * @param dryRun compares a config (its YAML text, or null for the config file) with the running one
     */
    public ReloadApi(Supplier<ReloadResult> reload, Function<String, ReloadResult> dryRun) {
        this.reload = reload;
        this.dryRun = dryRun;
    }

    public void register(Router api) {
        api.add("POST", "/api/v1/reload", request -> request.flag("dry_run")
                ? answer(dryRun.apply(request.body().isEmpty() ? null : request.body()))
                : answer(reload.get()));
    }

    static Reply answer(ReloadResult result) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (result.dryRun()) body.put("dry_run", true);
        else body.put("applied", result.applied());
        if (result.valid()) {
            body.put("changes", result.changes());
            body.putAll(result.diff().fields());
            return Reply.ok(body);
        }
        body.put("error", result.dryRun()
                ? "the config is not valid: a reload would refuse it (nothing was applied)"
                : "the config was not applied; featherlb keeps running on the previous one");
        List<Map<String, Object>> errors = result.errors().stream().map(ReloadApi::error).toList();
        body.put("errors", errors);
        return new Reply(400, body);
    }

    private static Map<String, Object> error(ConfigError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", e.file());
        m.put("line", e.line());
        m.put("column", e.column());
        m.put("message", e.message());
        m.put("text", e.toString());
        return m;
    }
}
