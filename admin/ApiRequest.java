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
 */
public record ApiRequest(String method, String path, Map<String, String> params, String body, String caller) {
    public ApiRequest {
        params = Map.copyOf(params);
    }

    public String param(String name) {
        return params.get(name);
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
