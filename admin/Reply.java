package admin;

/**
 * An admin API answer.
 *
 * @param status the HTTP status
 * @param body   what {@link ApiJson#write} makes the JSON body of (maps, lists, strings, numbers)
 */
public record Reply(int status, Object body) {
    public static Reply ok(Object body) {
        return new Reply(200, body);
    }
}
