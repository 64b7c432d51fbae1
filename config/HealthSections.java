package config;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Reads the health parts of a route ({@code health_check}, {@code passive}, {@code slow_start},
 * {@code on_down}) and an endpoint's own {@code health_check}, which replaces only the fields it
 * sets. Kept apart from {@link ConfigLoader} so that the loader reads as the shape of the file.
 */
final class HealthSections {
    private static final String TYPES = Arrays.stream(HealthCheck.Type.values())
            .map(HealthCheck.Type::configName).collect(Collectors.joining(", "));

    private HealthSections() {
    }

    static Health route(Problems problems, Section route, String label) {
        return route(problems, route, label, Protocol.TCP);
    }

    /** {@code protocol}: a UDP route's checks are send_expect only (see {@link UdpSections#check}). */
    static Health route(Problems problems, Section route, String label, Protocol protocol) {
        HealthCheck check = check(problems, route.section("health_check", "health_check of " + label), HealthCheck.DEFAULTS, protocol);
        Passive passive = passive(route.section("passive", "passive of " + label));
        Duration slowStart = route.duration("slow_start", Duration.ZERO);
        String onDown = route.string("on_down", "leave", "leave or close");
        boolean close = onDown.equals("close");
        if (!close && !onDown.equals("leave")) {
            problems.at(route.value("on_down"), "on_down is '" + onDown + "' (expected leave or close)");
        }
        return new Health(check, passive, slowStart, close);
    }

    /** The endpoint's own check, or null when it has no {@code health_check} of its own. */
    static HealthCheck endpoint(Problems problems, Section endpoint, HealthCheck routeCheck) {
        return endpoint(problems, endpoint, routeCheck, Protocol.TCP);
    }

    static HealthCheck endpoint(Problems problems, Section endpoint, HealthCheck routeCheck, Protocol protocol) {
        Section s = endpoint.section("health_check", "health_check of " + endpoint.what());
        return check(problems, s, routeCheck != null ? routeCheck : HealthCheck.DEFAULTS, protocol);
    }

    private static Passive passive(Section s) {
        if (s == null) return Passive.DEFAULTS;
        int failures = s.integer("failures", Passive.DEFAULTS.failures(), 0, 1000);
        Duration cooldown = s.duration("cooldown", Passive.DEFAULTS.cooldown());
        s.finish();
        return new Passive(failures, cooldown);
    }

    /** {@code base} with the fields that {@code s} sets, or null when {@code s} is null. */
    private static HealthCheck check(Problems problems, Section s, HealthCheck base, Protocol protocol) {
        if (s == null) return null;
        String typeName = s.string("type", base.type().configName(), "one of: " + TYPES);
        HealthCheck.Type type = HealthCheck.Type.byName(typeName);
        boolean typeKnown = type != null;
        if (!typeKnown) {
            problems.at(s.value("type"), "unknown health check type '" + typeName + "' (expected one of: " + TYPES + ")");
            type = base.type();
        }
        String path = s.string("path", base.path(), "a path such as /healthz");
        if (s.has("path") && !path.startsWith("/")) {
            problems.at(s.value("path"), "path is '" + path + "' (expected a path starting with /, such as /healthz)");
        } else if (s.has("path") && path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            // the path goes into the request line as written: a CR LF would end it and start a header of the user's choosing
            problems.at(s.value("path"), "path \"" + escaped(path) + "\" has a control character or space"
                    + " (expected a path such as /healthz, with %0D, %0A or %20 for such characters)");
        }
        String send = s.string("send", base.send(), "the bytes to send, such as \"PING\\r\\n\"");
        String expect = s.string("expect", base.expect(), "the first bytes of a healthy reply, such as +PONG");
        String sendHex = UdpSections.hex(problems, s, "send_hex", s.has("send") ? "" : base.sendHex());
        String expectHex = UdpSections.hex(problems, s, "expect_hex", s.has("expect") ? "" : base.expectHex());
        if (s.has("send_hex") && !s.has("send")) send = "";
        if (s.has("expect_hex") && !s.has("expect")) expect = "";
        UdpSections.eitherOr(problems, s, "send", "send_hex");
        UdpSections.eitherOr(problems, s, "expect", "expect_hex");
        Duration interval = s.duration("interval", base.interval());
        Duration timeout = s.duration("timeout", base.timeout());
        int rise = s.integer("rise", base.rise(), 1, 100);
        int fall = s.integer("fall", base.fall(), 1, 100);
        int port = s.integer("port", base.port(), 1, 65535);
        s.finish();
        if (typeKnown) { // else which fields belong is anyone's guess: the type's own error says enough
            onlyFor(problems, s, "path", type, HealthCheck.Type.HTTP);
            onlyFor(problems, s, "send", type, HealthCheck.Type.SEND_EXPECT);
            onlyFor(problems, s, "expect", type, HealthCheck.Type.SEND_EXPECT);
            onlyFor(problems, s, "send_hex", type, HealthCheck.Type.SEND_EXPECT);
            onlyFor(problems, s, "expect_hex", type, HealthCheck.Type.SEND_EXPECT);
            UdpSections.check(problems, s, type, send.isEmpty() && sendHex.isEmpty(), protocol);
        }
        if (type == HealthCheck.Type.SEND_EXPECT && expect.isEmpty() && expectHex.isEmpty()) {
            problems.at(s.node(), s.what() + " is type send_expect but has no 'expect' (expected the first bytes of a healthy reply, such as +PONG)");
        }
        if (timeout.compareTo(interval) > 0) {
            String message = "timeout " + Durations.format(timeout) + " is longer than interval " + Durations.format(interval)
                    + " (expected a timeout no longer than the interval)";
            problems.at(s.has("timeout") ? s.value("timeout") : s.has("interval") ? s.value("interval") : s.node(), message);
        }
        return new HealthCheck(type, path, send, expect, interval, timeout, rise, fall, port, sendHex, expectHex);
    }

    /** {@code text} with its control characters written as YAML's double-quoted escapes. */
    private static String escaped(String text) {
        StringBuilder b = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < ' ' || c == 0x7f) b.append("\\x%02x".formatted((int) c));
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }

    /** A field written in {@code s} that the check's type does not use is a mistake worth saying. */
    private static void onlyFor(Problems problems, Section s, String key, HealthCheck.Type type, HealthCheck.Type owner) {
        if (type != owner && s.has(key)) {
            problems.at(s.value(key), key + " is set but the check is type " + type.configName()
                    + " (expected type: " + owner.configName() + ", or no " + key + ")");
        }
    }
}
