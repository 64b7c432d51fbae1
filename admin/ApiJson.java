package admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import java.io.IOException;

/**
 * The admin API's JSON, through jackson-jr: answers written from maps (keys in iteration order),
 * lists, strings, numbers, booleans and null; request bodies read strictly, since they come from
 * the network. A duplicate key, anything after the value and nesting deeper than {@link #MAX_DEPTH}
 * are errors; every error says the line and column where reading stopped. The size of a body is
 * bounded before it gets here (AdminServer's MAX_BODY). Numbers are read as Integer, Long or
 * BigInteger when written without a fraction or exponent and as BigDecimal otherwise, so that
 * {@code 3} and {@code 3.5} stay apart and nothing is rounded.
 *
 * <p>Thread-safe: jackson-jr's {@code JSON} is immutable; the admin server's threads share it.
 */
final class ApiJson {
    /** Deep enough for any body the API takes (one level), shallow enough that nesting costs nothing. */
    static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final JSON CODEC = JSON.builder(FACTORY)
            .enable(JSON.Feature.USE_BIG_DECIMAL_FOR_FLOATS, JSON.Feature.WRITE_NULL_PROPERTIES) // "endpoint": null says something
            .build()
            .with(new NonFiniteAsNull());

    private ApiJson() {
    }

    /** {@code value} as JSON text. */
    static String write(Object value) {
        try {
            return CODEC.asString(value);
        } catch (IOException e) { // only a value of a type JSON has no form for: a bug of the caller
            throw new IllegalArgumentException("not a JSON value: " + e.getMessage(), e);
        }
    }

    /** The one JSON value that fills {@code text}, white space around it aside. */
    static Object parse(String text) throws Malformed {
        JsonParser parser;
        try {
            parser = FACTORY.createParser(text);
        } catch (IOException e) {
            throw new Malformed(1, 1, e.getMessage());
        }
        try (parser) {
            if (parser.nextToken() == null) throw new Malformed(1, 1, "the text ends (expected a value)");
            Object value = CODEC.anyFrom(parser);
            if (parser.nextToken() != null) throw new Malformed(parser.currentTokenLocation(), "a second value after the first (expected the end)");
            return value;
        } catch (StreamConstraintsException e) { // carries no location of its own
            throw new Malformed(parser.currentTokenLocation(), e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new Malformed(e.getLocation() != null ? e.getLocation() : parser.currentLocation(), e.getOriginalMessage());
        } catch (IOException e) { // a String has no I/O to fail; kept for the signature
            throw new Malformed(parser.currentLocation(), e.getMessage());
        }
    }

    /** Text that is not one JSON value, with the 1-based line and column where reading stopped. */
    static final class Malformed extends Exception {
        Malformed(JsonLocation at, String message) {
            this(at.getLineNr(), at.getColumnNr(), message);
        }

        Malformed(int line, int column, String message) {
            super(Math.max(line, 1) + ":" + Math.max(column, 1) + ": " + oneLine(message), null, false, false);
        }

        /**
         * Jackson names where a construct started as {@code [Source: REDACTED (...); line: 1, column: 1]};
         * the source is the body the caller just sent, so only the position is kept.
         */
        private static String oneLine(String message) {
            return message.replaceAll("\\[Source: [^;\\]]*; ", "[").replaceAll("\\s*\\R\\s*", " ");
        }
    }

    /** NaN and the infinities, which JSON has no numbers for, as null rather than Jackson's "NaN" string. */
    private static final class NonFiniteAsNull extends ReaderWriterProvider {
        @Override
        public ValueWriter findValueWriter(JSONWriter context, Class<?> type) {
            if (type != Double.class && type != Float.class) return null;
            return new ValueWriter() {
                @Override
                public void writeValue(JSONWriter context, JsonGenerator g, Object value) throws IOException {
                    if (!Double.isFinite(((Number) value).doubleValue())) g.writeNull();
                    else if (value instanceof Float f) g.writeNumber(f);
                    else g.writeNumber((Double) value);
                }

                @Override
                public Class<?> valueType() {
                    return type;
                }
            };
        }
    }
}
