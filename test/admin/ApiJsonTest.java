package admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the admin API needs of its JSON, whichever library does it. */
class ApiJsonTest {

    @Test
    void writesMapsInOrderWithNullsAndEscapes() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "we\"b\\1\n\u0001");
        map.put("count", 3L);
        map.put("share", 0.5);
        map.put("nan", Double.NaN);
        map.put("infinite", Float.POSITIVE_INFINITY);
        map.put("ok", true);
        map.put("none", null);
        map.put("list", List.of(1, "a", List.of()));
        assertEquals("{\"name\":\"we\\\"b\\\\1\\n\\u0001\",\"count\":3,\"share\":0.5,\"nan\":null,\"infinite\":null,\"ok\":true,"
                + "\"none\":null,\"list\":[1,\"a\",[]]}", ApiJson.write(map));
    }

    @Test
    void parsesWhatItWrites() throws Exception {
        String text = "{\"a\": [1, -2.5e3, \"x\\u00e9\\n\", true, false, null], \"b\": {}}";
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(1, new BigDecimal("-2.5e3"), "xé\n", true, false, null));
        expected.put("b", Map.of());
        assertEquals(expected, ApiJson.parse(text));
        assertEquals(expected, ApiJson.parse(ApiJson.write(ApiJson.parse(text))));
    }

    /** A weight of 3 and one of 3.5 must stay apart, and a long number must not be rounded. */
    @Test
    void integersAndFractionsStayApartAndExact() throws Exception {
        assertEquals(3, ApiJson.parse("3"));
        assertEquals(new BigDecimal("3.5"), ApiJson.parse("3.5"));
        assertEquals(new BigInteger("99999999999999999999"), ApiJson.parse("99999999999999999999"));
        assertEquals(new BigDecimal("0.10000000000000000001"), ApiJson.parse("0.10000000000000000001"));
    }

    @Test
    void mistakesAreOneLineWithLineAndColumn() {
        assertEquals("1:12: Unexpected character ('}' (code 125)): expected a value", message("{\"weight\": }"));
        assertEquals("1:1: the text ends (expected a value)", message(""));
        assertEquals("1:1: the text ends (expected a value)", message(" \n "));
        assertEquals("1:15: a second value after the first (expected the end)", message("{\"weight\": 3} {}"));
        assertTrue(message("{\"weight\": 3}x").startsWith("1:14: Unrecognized token 'x'"), message("{\"weight\": 3}x"));
        assertEquals("1:2: Unexpected character ('w' (code 119)): was expecting double-quote to start field name", message("{weight: 3}"));
        assertEquals("1:13: Duplicate field 'a'", message("{\"a\": 1, \"a\": 2}"));
        assertEquals("2:1: Unexpected end-of-input: expected close marker for Object (start marker at [line: 1, column: 1])",
                message("{\"weight\": 3\n"));
        for (String text : List.of("{\"weight\": }", "{\"weight\": 3\n", "tru", "-x", "\"a\u0001\"", "{\"a\": 1, \"a\": 2}")) {
            assertTrue(message(text).matches("\\d+:\\d+: [^\\n]+"), message(text));
        }
    }

    @Test
    void nestingIsBounded() throws Exception {
        ApiJson.parse("[".repeat(ApiJson.MAX_DEPTH) + "]".repeat(ApiJson.MAX_DEPTH));
        String message = message("[".repeat(ApiJson.MAX_DEPTH + 1));
        assertTrue(message.startsWith("1:65: Document nesting depth (65) exceeds the maximum allowed (64"), message);
    }

    private static String message(String text) {
        return assertThrows(ApiJson.Malformed.class, () -> ApiJson.parse(text)).getMessage();
    }
}
