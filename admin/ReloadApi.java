package admin;

import config.ConfigError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import reload.ReloadResult;

/**
 * {@code POST /api/v1/reload}: reloads the config file like SIGHUP does, and says how it went.
 * 200 with the changes when the file was applied; 400 with every problem (file, line, column,
 * message) when it was not, in which case featherlb keeps running on the config it had.
 */
public final class ReloadApi {
    private final Supplier<ReloadResult> reload;

    /** @param reload reloads and reports; called on the request's virtual thread */
    public ReloadApi(Supplier<ReloadResult> reload) {
        this.reload = reload;
    }

    public void register(Router api) {
        api.add("POST", "/api/v1/reload", request -> answer(reload.get()));
    }

    static Reply answer(ReloadResult result) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("applied", result.applied());
        if (result.applied()) {
            body.put("changes", result.changes());
            return Reply.ok(body);
        }
        body.put("error", "the config was not applied; featherlb keeps running on the previous one");
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
