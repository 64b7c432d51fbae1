package admin;

import java.util.Map;

/**
 * One admin API call as a handler sees it.
 *
 * @param method the HTTP method
 * @param path   the decoded path, such as {@code /api/v1/routes/web/endpoints/10.0.0.1:80/drain}
 * @param params the values of the pattern's {@code {name}} segments, decoded
 * @param body   the request body as UTF-8 text, empty when there is none
 * @param caller the client's address, for the audit line of a write call
 * @param query  the query string's parameters, decoded ({@code ?dry_run=true}); a name without
 *               {@code =} has the value "", a repeated name its first value
 */
public record ApiRequest(String method, String path, Map<String, String> params, String body, String caller,
                         Map<String, String> query) {
    public ApiRequest {
        params = Map.copyOf(params);
        query = Map.copyOf(query);
    }

    /** A call without a query string. */
    public ApiRequest(String method, String path, Map<String, String> params, String body, String caller) {
        this(method, path, params, body, caller, Map.of());
    }

    public String param(String name) {
        return params.get(name);
    }

    /**
     * A yes-or-no query parameter such as {@code ?dry_run=true}: absent is false; {@code true},
     * {@code 1} or no value is true; {@code false} or {@code 0} false; anything else a 400.
     */
    public boolean flag(String name) throws ApiException {
        String value = query.get(name);
        if (value == null) return false;
        return switch (value) {
            case "", "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.badRequest("?" + name + "=" + value + " is not a yes or no (expected " + name + "=true or " + name + "=false)");
        };
    }

    /**
     * The body as a JSON object, or a 400 that says where it stopped being one and what was
     * expected ({@code example} is shown as the expected form).
     */
    public Map<String, Object> jsonObject(String example) throws ApiException {
        Object parsed;
        try {
            parsed = ApiJson.parse(body);
        } catch (ApiJson.Malformed e) {
            throw ApiException.badRequest("the body is not JSON: " + e.getMessage() + " (expected an object such as " + example + ")");
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            String shown = ApiJson.write(parsed);
            if (shown.length() > 60) shown = shown.substring(0, 57) + "...";
            throw ApiException.badRequest("the body is " + shown + " (expected an object such as " + example + ")");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) map;
        return object;
    }
}
