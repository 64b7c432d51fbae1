package traffic;

/**
 * What a UDP session carried, in datagrams (its bytes are the record's): for the access log's
 * {@code protocol} field of UDP lines.
 *
 * @param up   client → endpoint
 * @param down endpoint → client
 */
public record Datagrams(long up, long down) {
}
