package json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesMapsInOrderAndEscapesStrings() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "we\"b\\1\n\u0001\u2028");
        map.put("count", 3L);
        map.put("share", 0.5);
        map.put("nan", Double.NaN);
        map.put("ok", true);
        map.put("none", null);
        map.put("list", List.of(1, "a", List.of()));
        assertEquals("{\"name\":\"we\\\"b\\\\1\\n\\u0001\\u2028\",\"count\":3,\"share\":0.5,\"nan\":null,\"ok\":true,\"none\":null,\"list\":[1,\"a\",[]]}",
                Json.write(map));
    }

    @Test
    void parsesWhatItWrites() throws JsonException {
        String text = "{\"a\": [1, -2.5e3, \"x\\u00e9\\n\", true, false, null], \"b\": {}}";
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(new BigDecimal("1"), new BigDecimal("-2.5e3"), "xé\n", true, false, null));
        expected.put("b", Map.of());
        assertEquals(expected, Json.parse(text));
        assertEquals(expected, Json.parse(Json.write(Json.parse(text))));
    }

    @Test
    void integersAndFractionsStayApart() throws JsonException {
        assertEquals(3, ((BigDecimal) Json.parse("3")).intValueExact());
        assertThrows(ArithmeticException.class, () -> ((BigDecimal) Json.parse("3.5")).intValueExact());
    }

    @Test
    void mistakesSayLineAndColumn() {
        assertEquals("1:12: unexpected '}' (expected a value: an object, array, string, number, true, false or null)", message("{\"weight\": }"));
        assertEquals("2:1: the text ends (expected '}')", message("{\"weight\": 3\n"));
        assertEquals("1:14: unexpected 'x' after the value (expected the end)", message("{\"weight\": 3}x"));
        assertEquals("1:1: the text ends (expected a value)", message(""));
        assertEquals("1:2: expected a quoted key", message("{weight: 3}"));
        assertEquals("1:15: duplicate key \"a\" (expected each key once)", message("{\"a\": 1, \"a\": 2}"));
        assertEquals("1:2: expected a digit", message("-x"));
        assertEquals("1:1: unexpected 't' (expected a value)", message("tru"));
        assertEquals("1:65: nested more than 64 deep", message("[".repeat(65)));
    }

    private static String message(String text) {
        return assertThrows(JsonException.class, () -> Json.parse(text)).getMessage();
    }
}
