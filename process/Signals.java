package process;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * Handles POSIX signals (TERM, INT, later HUP) with {@code sun.misc.Signal}, the supported API of
 * the {@code jdk.unsupported} module. A shutdown hook would do for TERM, but the JVM then exits
 * with 143 and ignores a second signal; handling the signal ourselves gives a clean exit 0 and lets
 * a second SIGTERM cut the grace period short.
 *
 * <p>Reached by reflection only because javac warns about every direct use of {@code sun.misc}
 * and offers no way to silence it: the warnings would greet every user on jbang's first build.
 */
public final class Signals {
    private Signals() {
    }

    /**
     * Runs {@code action} on the JVM's signal thread each time signal {@code name} (e.g. "TERM")
     * arrives; the action must return quickly and hand longer work to a thread of its own.
     *
     * @throws IllegalStateException when this JVM cannot handle that signal
     */
    public static void on(String name, Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            InvocationHandler dispatch = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    action.run();
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> "SignalHandler[" + name + "]";
            };
            Object proxy = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, dispatch);
            signal.getMethod("handle", signal, handler).invoke(null, signal.getConstructor(String.class).newInstance(name), proxy);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot handle SIG" + name + ": " + e, e);
        }
    }
}
